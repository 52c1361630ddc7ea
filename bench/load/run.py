"""Load test: 50 sales users on gunicorn + PostgreSQL, then every acknowledged write checked.

    make loadtest                                   # or: .venv/bin/python bench/load/run.py
    LOAD_SECONDS=30 make loadtest                   # shorter (CI)

1. drops and recreates the database LOAD_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/loadtest; only a local database whose name contains
   "load" is accepted) and fills it with bench/generate.py (LOAD_BASELINE_N opportunities,
   default 10,000, with their leads, customers, 36 sales reps and items);
2. gives each sales rep an API token and a signed-in session (made directly, not through the
   login form, so login throttling does not apply) in var/loadtest/setup.json;
3. starts gunicorn on 127.0.0.1 and a free port (LOAD_GUNICORN_ARGS, default
   "-w 4 -k gthread --threads 4 --keep-alive 75") and warms it up (each read a few times);
4. runs locust headless: LOAD_USERS users (50) spawned at LOAD_SPAWN_RATE a second (10) for
   LOAD_SECONDS (60), bench/load/locustfile.py, only against that 127.0.0.1 port;
5. stops gunicorn (always, whatever happened), then checks against the database that every
   write the server acknowledged is there: each created lead, opportunity (with its item
   rows) and quotation (half of them submitted) exists, no document's stored version is older than a version an answer
   gave, the fields of the last acknowledged change are the stored ones, no two answers
   gave the same version of one document (a lost update), and an opportunity whose quotation
   was submitted is in status Quotation;
6. prints p50 / p95 / p99 per request type (locust's figures, var/loadtest/locust_stats.csv),
   the 409 conflicts, the failures, and exits 1 if there was any failure (an unexpected
   status, a 5xx, a connection error, a server error in gunicorn's log) or any lost write.

The database is dropped at the end of a clean run (LOAD_KEEP_DB=1 keeps it; a failed run
always keeps it for a look). A benchmark, not a test: never part of `make test`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loadtest")
USERS = int(os.environ.get("LOAD_USERS", "50"))
SPAWN_RATE = int(os.environ.get("LOAD_SPAWN_RATE", "10"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
BASELINE_N = int(os.environ.get("LOAD_BASELINE_N", "10000"))
GUNICORN_ARGS = os.environ.get(
    "LOAD_GUNICORN_ARGS", "-w 4 -k gthread --threads 4 --keep-alive 75"
).split()
KEEP_DB = os.environ.get("LOAD_KEEP_DB", "") not in ("", "0", "false", "no")
OUT = Path(os.environ.get("LOAD_OUT_DIR", ROOT / "var" / "loadtest"))
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# One key for this process (which makes the users' sessions) and the server it starts (which
# reads them): otherwise each would make its own in its own var directory (settings) and every
# session would be refused.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # so every `finally` below runs (gunicorn is stopped)


# --- the database --------------------------------------------------------------------------------
def database_name() -> str:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql") or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"LOAD_DATABASE_URL must be a PostgreSQL database on 127.0.0.1: {DATABASE_URL}")
    if "load" not in name:
        sys.exit(
            f"LOAD_DATABASE_URL: the database is dropped, so its name must contain 'load': {name}"
        )
    return name


def admin_connection():
    import psycopg

    parts = urlsplit(DATABASE_URL)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def generate_baseline() -> None:
    began = time.monotonic()
    subprocess.run(
        [str(BIN / "python"), str(ROOT / "bench" / "generate.py")],
        env={**os.environ, "DATABASE_URL": DATABASE_URL, "BENCH_N": str(BASELINE_N)},
        cwd=ROOT,
        check=True,
        timeout=1800,
    )
    log(f"baseline of {BASELINE_N:,} opportunities in {time.monotonic() - began:,.0f} s")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_users(path: Path) -> int:
    """Tokens and sessions for every sales rep (not managers); the setup file for locust."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from opportune.accounts.models import ApiToken
    from opportune.accounts.roles import SALES_MANAGER, SALES_USER
    from opportune.crm.models import CRMSettings, LeadSource, OpportunityLostReason
    from opportune.masters.models import Item

    see_all = os.environ.get("LOAD_SEE_ALL")
    if see_all is not None:
        field = "sales_users_see_all"
        if any(f.name == field for f in CRMSettings._meta.get_fields()):
            CRMSettings.load()
            CRMSettings.objects.filter(pk=1).update(**{field: see_all not in ("0", "")})
            log(f"CRM setting {field} = {see_all not in ('0', '')}")
        else:
            log(f"LOAD_SEE_ALL ignored: CRM settings have no {field}")
    reps = (
        get_user_model()
        .objects.filter(groups__name=SALES_USER, is_active=True)
        .exclude(groups__name=SALES_MANAGER)
        .order_by("username")
    )
    users = []
    for user in reps:
        _token, raw = ApiToken.issue(user, "load test")
        client = Client()
        client.force_login(user)
        users.append(
            {
                "username": user.username,
                "token": raw,
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }
        )
    if not users:
        sys.exit("The baseline has no sales users.")
    from opportune.crm.models import SalesStage

    items = [
        [code, str(rate)]
        for code, rate in Item.objects.filter(name__startswith="ITEM-")
        .order_by("name")
        .values_list("name", "standard_rate")[:60]
    ]
    setup = {
        "today": date.today().isoformat(),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "users": users,
        "items": items,
        "sales_stages": list(SalesStage.objects.values_list("name", flat=True)),
        "lost_reasons": list(OpportunityLostReason.objects.values_list("name", flat=True)),
        "sources": list(LeadSource.objects.values_list("name", flat=True)),
    }
    path.write_text(json.dumps(setup, indent=1))
    return len(users)


# --- gunicorn -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn in a process group of its own, stopped (TERM, then KILL) on leaving."""

    def __init__(self, port: int, log_path: Path):
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        var = OUT / "var"
        var.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": DATABASE_URL,
            "OPPORTUNE_VAR_DIR": str(var),
            "OPPORTUNE_TESTING": "0",
            "DEBUG": "false",
            "REDIS_URL": "",  # jobs (none on these paths) queue in var/, not the shared Redis
            "LOG_LEVEL": "WARNING",
        }
        command = [
            str(BIN / "gunicorn"),
            "opportune.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            *GUNICORN_ARGS,
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--no-control-socket",  # its default path is shared by every gunicorn of the machine
        ]
        log(f"gunicorn {' '.join(command[2:])}")
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self) -> None:
        url = f"http://127.0.0.1:{self.port}/accounts/login/"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}): {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer on {url} within 180 s")

    def __exit__(self, *_exc) -> None:
        stop_group(self.process, "gunicorn", grace=15)
        self.log_file.close()


def stop_group(process: subprocess.Popen | None, label: str, grace: float) -> None:
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            log(f"{label} stopped")
            return
        except subprocess.TimeoutExpired:
            continue


def warm_up(port: int, setup_path: Path, rounds: int = 8) -> None:
    """Each read the users make, a few times at once, before the clock starts: every worker
    then has its modules imported, templates compiled and connections open (the first request
    of a worker costs seconds, which is start-up, not load). Any answer but 200 stops the run."""
    from concurrent.futures import ThreadPoolExecutor

    setup = json.loads(setup_path.read_text())
    user = setup["users"][0]
    api = {"Authorization": f"Bearer {user['token']}"}
    page = {"Cookie": f"{setup['session_cookie']}={user['session']}"}
    base = f"http://127.0.0.1:{port}"

    def get(path: str, headers: dict) -> bytes:
        request = urllib.request.Request(base + path, headers=headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            if response.status != 200:
                raise RuntimeError(f"warm-up: GET {path} answered {response.status}")
            return response.read()

    first = json.loads(get("/api/v1/opportunities?status=Open,Replied", api))["results"]
    name = first[0]["name"] if first else None
    paths = [
        ("/api/v1/opportunities?status=Open,Replied", api),
        ("/api/v1/leads", api),
        ("/", page),
        ("/crm/opportunities/board/", page),
        ("/crm/opportunities/?status=Open", page),
        ("/crm/leads/", page),
    ]
    if name:
        paths += [(f"/api/v1/opportunities/{name}", api), (f"/crm/opportunities/{name}/", page)]
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda pair: get(*pair), paths * rounds))
    log(f"warm-up: {len(paths) * rounds} reads in {time.monotonic() - began:,.1f} s")


# --- locust ---------------------------------------------------------------------------------------
def run_locust(port: int, setup: Path, acks: Path, stats: Path) -> int:
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "load" / "locustfile.py"),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "-u",
        str(USERS),
        "-r",
        str(SPAWN_RATE),
        "-t",
        f"{SECONDS}s",
        # at the end each user finishes the task it is in (a read, then a PATCH, ...): a request
        # cut off by locust would count as a failure that the server never made
        "--stop-timeout",
        "60",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    log(f"locust: {USERS} users, {SPAWN_RATE}/s, {SECONDS} s")
    env = {
        **os.environ,
        "LOAD_SETUP_FILE": str(setup),
        "LOAD_ACK_FILE": str(acks),
        "LOAD_STATS_FILE": str(stats),
        "OTEL_SDK_DISABLED": "true",
    }
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        return process.wait(timeout=SECONDS + 180)
    except subprocess.TimeoutExpired:
        log("locust did not stop in time: killed")
        return 124
    finally:
        stop_group(process, "locust", grace=5)


# --- checks ---------------------------------------------------------------------------------------
def read_acks(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def same(stored, sent) -> bool:
    if stored is None or sent is None:
        return stored == sent
    if isinstance(stored, date):
        return stored.isoformat() == str(sent)
    if isinstance(stored, Decimal):
        return stored == Decimal(str(sent))
    return str(stored) == str(sent)


def verify(acks: list[dict]) -> tuple[list[str], dict[str, int]]:
    """Every acknowledged write against the database: the problems found, and counts."""
    from django.db.models import Count

    from opportune.crm.models import Lead, Opportunity
    from opportune.selling.models import Quotation

    models = {"lead": Lead, "opportunity": Opportunity, "quotation": Quotation}
    problems: list[str] = []
    created: dict[str, list[dict]] = defaultdict(list)
    updates: list[dict] = []
    versions: dict[tuple[str, str], list[int]] = defaultdict(list)
    for a in acks:
        (created[a["doctype"]] if a["kind"] == "create" else updates).append(a)
        if "version" in a:
            versions[(a["doctype"], a["name"])].append(a["version"])

    stored: dict[str, dict] = {}
    for doctype, model in models.items():
        names = {a["name"] for a in created[doctype]} | {n for d, n in versions if d == doctype}
        rows = model.objects.filter(name__in=names)
        if doctype == "opportunity":
            rows = rows.annotate(item_rows=Count("items"))
        stored[doctype] = {row.name: row for row in rows}

    for doctype in models:
        for a in created[doctype]:
            doc = stored[doctype].get(a["name"])
            if doc is None:
                problems.append(f"lost: {doctype} {a['name']} (created by {a['by']})")
            elif doctype == "lead" and doc.email_id != a["email_id"]:
                problems.append(
                    f"lead {a['name']}: e-mail {doc.email_id!r}, sent {a['email_id']!r}"
                )
            elif doctype == "opportunity" and doc.item_rows != a["items"]:
                problems.append(
                    f"opportunity {a['name']}: {doc.item_rows} item rows, {a['items']} acknowledged"
                )
            elif doctype == "quotation" and doc.opportunity_id != a["opportunity"]:
                problems.append(f"quotation {a['name']}: opportunity {doc.opportunity_id!r}")

    for (doctype, name), seen in versions.items():
        doc = stored[doctype].get(name)
        if doc is None:
            if not any(a["name"] == name for a in created[doctype]):
                problems.append(f"lost: {doctype} {name} (changed, now missing)")
            continue
        if max(seen) > doc.version:
            problems.append(
                f"{doctype} {name}: stored version {doc.version} < acknowledged {max(seen)}"
            )
        twice = sorted({v for v in seen if seen.count(v) > 1})
        if twice:
            problems.append(f"{doctype} {name}: version(s) {twice} acknowledged to two writers")

    for a in updates:
        doc = stored[a["doctype"]].get(a["name"])
        if doc is None or doc.version != a["version"]:
            continue  # changed again since: the version check above covers it
        for field, sent in a["fields"].items():
            if not same(getattr(doc, field), sent):
                problems.append(
                    f"{a['doctype']} {a['name']} v{a['version']}: {field} is "
                    f"{getattr(doc, field)!r}, acknowledged {sent!r}"
                )

    # the status engine: a submitted quotation moves its opportunity to Quotation (the users
    # never change the status of an opportunity they quoted)
    submitted = {a["opportunity"] for a in updates if a["doctype"] == "quotation"}
    for name, status in Opportunity.objects.filter(name__in=submitted).values_list(
        "name", "status"
    ):
        if status != Opportunity.Status.QUOTATION:
            problems.append(
                f"opportunity {name}: {status} with a submitted quotation (Quotation expected)"
            )

    counts = {
        "leads created": len(created["lead"]),
        "opportunities created": len(created["opportunity"]),
        "quotations made": len(created["quotation"]),
        "quotations submitted": len(submitted),
        "opportunity changes (PATCH, lost, reopen)": sum(
            1 for a in updates if a["doctype"] == "opportunity"
        ),
    }
    return problems, counts


def server_errors(log_path: Path) -> list[str]:
    """Lines of gunicorn's log that tell of a server-side error (tracebacks, worker deaths)."""
    markers = ("Traceback", "Internal Server Error", "WORKER TIMEOUT", "Worker exited", "[ERROR]")
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [line for line in text.splitlines() if any(m in line for m in markers)]


# --- report ---------------------------------------------------------------------------------------
def read_stats(path: Path) -> dict:
    """The figures the locustfile wrote when locust quit (entries, total, errors)."""
    if not path.exists():
        return {"entries": [], "total": None, "errors": []}
    return json.loads(path.read_text())


def label(row: dict) -> str:
    return row["name"] if row["type"] == "409" else f"{row['type']} {row['name']}"


def stats_table(stats: dict) -> str:
    head = f"{'request':<60} {'count':>6} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    lines = [head, "-" * len(head)]
    rows = (
        [*stats["entries"], {**stats["total"], "type": "", "name": "all requests"}]
        if stats["total"]
        else []
    )
    for row in rows:
        if row["name"] == "all requests":
            lines.append("-" * len(head))
        lines.append(
            f"{label(row).strip()[:60]:<60} {row['count']:>6} {row['failures']:>5} {row['p50']:>7.0f} "
            f"{row['p95']:>7.0f} {row['p99']:>7.0f} {row['max']:>7.0f}"
        )
    return "\n".join(lines)


def markdown_table(stats: dict) -> str:
    """The same figures as a Markdown table (var/loadtest/summary.md, for docs/performance.md)."""
    lines = [
        "| request | count | failures | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in [*stats["entries"], {**stats["total"], "type": "", "name": "**all requests**"}]:
        lines.append(
            f"| {label(row).strip()} | {row['count']} | {row['failures']} | {row['p50']:.0f} | "
            f"{row['p95']:.0f} | {row['p99']:.0f} | {row['max']:.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    name = database_name()
    OUT.mkdir(parents=True, exist_ok=True)
    setup, acks, gunicorn_log = OUT / "setup.json", OUT / "acks.jsonl", OUT / "gunicorn.log"
    stats_file = OUT / "stats.json"
    for path in (acks, gunicorn_log, stats_file):
        path.unlink(missing_ok=True)

    log(f"database {name}: dropped and created again")
    recreate_database(name)
    generate_baseline()
    setup_django()
    log(f"{prepare_users(setup)} sales users with a token and a session")

    port = free_port()
    began = time.monotonic()
    with Gunicorn(port, gunicorn_log):
        warm_up(port, setup)
        locust_rc = run_locust(port, setup, acks, stats_file)
    elapsed = time.monotonic() - began

    from django.db import connections

    connections.close_all()
    problems, counts = verify(read_acks(acks))
    stats = read_stats(stats_file)
    errors = server_errors(gunicorn_log)

    print()
    print(stats_table(stats))
    print()
    total = stats["total"]
    if total:
        print(f"throughput: {total['rps']:.1f} requests/s")
        (OUT / "summary.md").write_text(markdown_table(stats) + "\n")
    conflicts = sum(r["count"] for r in stats["entries"] if r["type"] == "409")
    failed = total["failures"] if total else 0
    print(f"acknowledged writes: {', '.join(f'{v} {k}' for k, v in counts.items())}")
    print(f"409 conflicts (answered right, read again): {conflicts}")
    print(f"requests failed: {failed}; server errors in gunicorn's log: {len(errors)}")
    for row in stats["errors"]:
        print(f"  FAILED {row['count']}x {row['method']} {row['name']}: {row['error'][:300]}")
    for line in errors[:20]:
        print(f"  SERVER {line[:300]}")
    for problem in problems[:50]:
        print(f"  WRITE {problem}")
    if len(problems) > 50:
        print(f"  ... and {len(problems) - 50} more")

    ok = locust_rc == 0 and not failed and not errors and not problems and total is not None
    if ok and not counts["opportunities created"]:
        ok = False
        print("  nothing was written: the load did not run")
    print(
        f"\nLOAD TEST {'PASSED' if ok else 'FAILED'}: {USERS} users, {SECONDS} s, "
        f"{elapsed:,.0f} s with the server up; figures and files in {OUT}"
    )
    if ok and not KEEP_DB:
        drop_database(name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
