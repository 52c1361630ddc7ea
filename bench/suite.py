"""``make bench``: every benchmark module against a chosen database and scale, through HTTP
against the production shape, the figures against their targets in bench/results/.

    make bench                                           # SQLite var/bench-100000.sqlite3
    make bench SCALE=1000000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/suite.py                      # the same (DATABASE_URL, BENCH_N)

1. bench/generate.py fills the database with BENCH_N opportunities (resumable; nothing to do
   when they are there);
2. the production shape starts on 127.0.0.1 and a free port, as ``make run`` starts it:
   ``python -m opportune.serve`` (migrate, collectstatic, gunicorn with WEB_WORKERS workers of
   WEB_WORKER_CLASS and the Huey consumer beside it), on that database;
3. every module ``bench/<name>.py`` with a ``run(ctx)`` runs, by its ORDER (bench/harness.py):
   BENCH_ONLY=web,run runs only those, BENCH_SKIP=auto_close leaves those out;
4. the memory of each process of the stack (RSS, PSS from /proc/<pid>/smaps_rollup) is read
   after every module ran: a web worker < 80 MB PSS, the stack < 400 MB PSS;
5. bench/results/<date>-<database>-<scale>.json and .md: the machine (CPU, cores, RAM, OS,
   Python, database version, load average), the date, the commit and every figure against its
   target. The server is stopped whatever happened.

A benchmark, never a test. BENCH_QUICK=1 makes every module do less (a try-out, not a result).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if sys.path[1:2] == [str(ROOT / "bench")]:
    del sys.path[1]  # bench/ itself: its modules are imported as bench.<name>

from bench.harness import Context, Figure, children, command_line, memory  # noqa: E402

NOT_MODULES = {"harness", "suite", "generate", "list_profile", "__init__"}
RESULTS = ROOT / "bench" / "results"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def suite_module_names(
    only: AbstractSet[str] = frozenset(), skip: AbstractSet[str] = frozenset()
) -> list[str]:
    """The benchmark modules of the suite: those of bench/ defining ``run(ctx)`` at their top
    level, read without importing them. The others are standalone scripts (bench/write_profile.py,
    bench/pipeline_as_of.py...): importing one sets Django up with its own defaults, or fails
    outside its own directory, so they are never imported here."""
    names = []
    for path in sorted((ROOT / "bench").glob("*.py")):
        name = path.stem
        if name in NOT_MODULES or name in skip or (only and name not in only):
            continue
        tree = ast.parse(path.read_text(), str(path))
        if any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body):
            names.append(name)
    return names


def discover() -> list:
    only = {m for m in os.environ.get("BENCH_ONLY", "").split(",") if m}
    skip = {m for m in os.environ.get("BENCH_SKIP", "").split(",") if m}
    found = [importlib.import_module(f"bench.{name}") for name in suite_module_names(only, skip)]
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python -m opportune.serve`` in a process group of its own, stopped on leaving."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path):
        self.env, self.port, self.log_path = env, port, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "opportune.serve", "--port", str(self.port), "--no-demo"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{self.port}/accounts/login/"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the server did not answer within 300 s: {self.log_path}")

    def __exit__(self, *_exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# --- the machine ------------------------------------------------------------------------------
def machine(vendor: str) -> dict[str, str]:
    from django.db import connection

    info = {"python": platform.python_version(), "cores": str(os.cpu_count())}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        )
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        info["ram"] = f"{mem_kb / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration):
        info.setdefault("cpu", platform.processor() or "?")
    try:
        release = dict(
            line.split("=", 1)
            for line in Path("/etc/os-release").read_text().splitlines()
            if "=" in line
        )
        info["os"] = f"{release.get('PRETTY_NAME', '').strip(chr(34))}, Linux {platform.release()}"
    except OSError:
        info["os"] = platform.platform()
    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute("SHOW server_version")
            info["database"] = f"PostgreSQL {cur.fetchone()[0]}"
        else:
            cur.execute("SELECT sqlite_version()")
            info["database"] = f"SQLite {cur.fetchone()[0]} (WAL)"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        info["commit"] = commit or "?"
    except OSError:
        info["commit"] = "?"
    return info


def stack_memory(server_pid: int) -> tuple[list[Figure], list[dict]]:
    """Each process of the stack: gunicorn's master, its web workers, the consumer."""
    rows = []
    for pid in [server_pid, *children(server_pid)]:
        line = command_line(pid)
        role = "consumer" if "run_huey" in line else "web master" if pid == server_pid else "web"
        rows.append({"pid": pid, "role": role, **memory(pid)})
    workers = [r for r in rows if r["role"] == "web"]
    figures = [
        Figure(
            f"web worker {i + 1} memory (PSS)",
            r["pss"],
            "MB",
            80,
            note=f"RSS {r['rss']:.0f} MB",
        )
        for i, r in enumerate(workers)
    ]
    for r in rows:
        if r["role"] != "web":
            figures.append(
                Figure(
                    f"{r['role']} memory (PSS)", r["pss"], "MB", None, note=f"RSS {r['rss']:.0f} MB"
                )
            )
    figures.append(
        Figure(
            f"stack memory (PSS: master, {len(workers)} web workers, consumer and its scheduler)",
            sum(r["pss"] for r in rows),
            "MB",
            400,
            note=f"RSS {sum(r['rss'] for r in rows):.0f} MB",
        )
    )
    return figures, rows


# --- the report -------------------------------------------------------------------------------
def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"# Opportune benchmark, {result['date']}",
        "",
        f"{result['scale']:,} opportunities on {m['database']}; the production shape "
        f"({result['server']}) on 127.0.0.1, the load generator on the same machine.",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {m.get('cpu', '?')}, {m['cores']} cores |",
        f"| RAM | {m.get('ram', '?')} |",
        f"| OS | {m['os']} |",
        f"| Python | {m['python']} |",
        f"| database | {m['database']} |",
        f"| load average | {result['load_before']} before, {result['load_after']} after |",
        f"| commit | {m['commit']} |",
        "",
        "| module | figure | value | target | result | note |",
        "|---|---|---:|---:|---|---|",
    ]
    for f in result["figures"]:
        verdict = {True: "PASS", False: "**FAIL**", None: ""}[f["passed"]]
        target = Figure(**{k: f[k] for k in ("name", "value", "unit", "target", "better")})
        lines.append(
            f"| {f['module']} | {f['name']} | {f['value']:,.1f} {f['unit']} | "
            f"{target.target_text()} | {verdict} | {f['note']} |"
        )
    for name, error in result["errors"].items():
        lines.append(f"| {name} | **failed to run** | | | | {error.splitlines()[-1][:200]} |")
    passed = sum(1 for f in result["figures"] if f["passed"])
    judged = sum(1 for f in result["figures"] if f["passed"] is not None)
    lines += ["", f"{passed} of {judged} figures within target."]
    return "\n".join(lines) + "\n"


def main() -> int:
    scale = int(os.environ.get("BENCH_N", "100000"))
    database_url = os.environ.get(
        "DATABASE_URL", f"sqlite:///{ROOT / 'var' / f'bench-{scale}.sqlite3'}"
    )
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    var = ROOT / "var" / "bench-run"
    var.mkdir(parents=True, exist_ok=True)
    # One key for this process and the server: the sessions made here sign in there.
    secret = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY=secret, OPPORTUNE_TESTING="false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")

    log(f"generating {scale:,} opportunities into {database_url} (skipped when there)")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py")],
        env={**os.environ, "BENCH_N": str(scale), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        check=True,
    )

    import django

    django.setup()
    from django.db import connection

    vendor = connection.vendor
    modules = discover()
    log(f"modules: {', '.join(m.__name__.split('.')[-1] for m in modules)}")
    env = {
        **os.environ,
        "OPPORTUNE_VAR_DIR": str(var),
        "PYTHONPATH": str(ROOT),
        "WEB_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
        "LOGIN_THROTTLE": "false",
        "STATIC_ROOT": os.environ.get("STATIC_ROOT", str(ROOT / "var" / "static")),
    }
    workers = env.setdefault("WEB_WORKERS", "2")
    worker_class = env.setdefault("WEB_WORKER_CLASS", "gthread")
    threads = env.setdefault("WEB_THREADS", "4")
    server_text = f"gunicorn, {workers} {worker_class} workers" + (
        f" x {threads} threads" if worker_class == "gthread" else ""
    )
    port = free_port()
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    processes: list[dict] = []
    log(f"starting the production shape on 127.0.0.1:{port} ({server_text})")
    with Server(env, port, var / "serve.log") as server:
        assert server.process is not None
        ctx = Context(
            base_url=f"http://127.0.0.1:{port}",
            database_url=database_url,
            scale=scale,
            vendor=vendor,
            server_pid=server.process.pid,
            quick=quick,
        )
        for module in modules:
            name = module.__name__.split(".")[-1]
            log(f"running {name}")
            began = time.monotonic()
            try:
                got = module.run(ctx)
            except Exception:
                errors[name] = traceback.format_exc()
                log(f"{name} FAILED:\n{errors[name]}")
                continue
            for figure in got:
                figure.module = name
                verdict = {True: "PASS", False: "FAIL", None: ""}[figure.passed]
                log(
                    f"  {figure.name}: {figure.value:,.1f} {figure.unit} {figure.target_text()} {verdict}"
                )
            figures += got
            log(f"{name}: {len(got)} figures in {time.monotonic() - began:,.0f} s")
        mem, processes = stack_memory(server.process.pid)
        for figure in mem:
            figure.module = "memory"
        figures += mem
    load_after = ", ".join(f"{x:.1f}" for x in os.getloadavg())

    now = datetime.now(UTC)
    result = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "scale": scale,
        "vendor": vendor,
        "server": server_text,
        "quick": quick,
        "machine": machine(vendor),
        "load_before": load_before,
        "load_after": load_after,
        "processes": processes,
        "figures": [f.as_dict() for f in figures],
        "errors": errors,
    }
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"{now:%Y-%m-%d}-{vendor}-{scale}{'-quick' if quick else ''}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    print()
    print(markdown(result))
    log(f"written: {stem}.json and .md")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
