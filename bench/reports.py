"""Time every report (issue 11, and the first-response report of issue 10) on a generated database.

    .venv/bin/python bench/reports.py                   # SQLite var/bench.sqlite3 (bench/generate.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/reports.py

Each report goes through the JSON API (django.test.Client, bearer token): filters, record rules,
the SQL aggregates, folding and serialisation all count. Over a 12-month range, as a manager (every
opportunity) and as a sales rep (the record rules' conditions); and the home page of a manager
(the pipeline and team sections). The slowest query of each case is shown with its plan (EXPLAIN
(ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite; BENCH_EXPLAIN=0 hides them;
BENCH_QUERIES=1 prints every query of each case with its time).

generate.py writes the first responses (from the e-mails it makes), the quotations and the sales
orders in realistic proportions, so the first-response report, the lost-quotations report, the
funnel's quotation step and the forecast's "won" column all read real rows (a database generated
before they were: run generate.py on it again, it adds them).
Targets: < 500 ms at 1M on PostgreSQL, < 2 s at 200k on SQLite (median). A benchmark, not a test.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from opportune.accounts.models import ApiToken  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1"))
EXPLAIN = os.environ.get("BENCH_EXPLAIN", "1") != "0"
TARGET_MS = 500 if connection.vendor == "postgresql" else 2000


@dataclass
class Case:
    label: str
    url: str
    user: str
    times: list[float] = field(default_factory=list)
    queries: int = 0
    slowest: tuple[float, str, tuple] = (0.0, "", ())
    plan: str = ""


class Recorder:
    def __init__(self) -> None:
        self.queries: list[tuple[float, str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - began) * 1000, sql, params))


def prepare() -> None:
    call_command("migrate", "reports", verbosity=0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA optimize")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE crm_opportunity")


def build_cases() -> list[Case]:
    today = timezone.localdate()
    year_ago = (today - timedelta(days=365)).isoformat()
    ahead = (today + timedelta(days=180)).isoformat()
    behind = (today - timedelta(days=185)).isoformat()
    past = f"from_date={year_ago}&to_date={today.isoformat()}"
    closing = f"from_date={behind}&to_date={ahead}"
    reports = [
        ("lost: detail (1,000 rows)", "lost-opportunities", past),
        ("lost: by reason", "lost-opportunities", past + "&group_by=lost_reason"),
        (
            "lost: by owner, amount trend",
            "lost-opportunities",
            past + "&group_by=opportunity_owner&measure=amount",
        ),
        ("lost quotations", "lost-quotations", past),
        ("pipeline: owner x month", "sales-pipeline", closing),
        (
            "pipeline: stage x quarter, amount",
            "sales-pipeline",
            closing + "&group_by=sales_stage&range=quarterly&based_on=amount",
        ),
        ("summary by stage (12 months)", "opportunity-summary", past),
        ("summary by stage (all, amount)", "opportunity-summary", "data_based_on=amount"),
        ("funnel", "sales-funnel", past),
        ("forecast by month", "forecast", closing),
        ("forecast by owner", "forecast", closing + "&group_by=opportunity_owner"),
        ("first response by day", "minutes-to-first-response", past),
        (
            "first response per owner",
            "minutes-to-first-response",
            past + "&group_by=opportunity_owner",
        ),
    ]
    cases = []
    for user in ("bench_manager", "rep07"):
        for label, slug, query in reports:
            cases.append(Case(f"{label} [{user}]", f"/api/v1/reports/{slug}?{query}", user))
    cases.append(
        Case(
            "export: lost detail CSV (every row) [bench_manager]",
            f"/api/v1/reports/lost-opportunities?{past}&format=csv",
            "bench_manager",
        )
    )
    cases.append(Case("home page (pipeline + team) [bench_manager]", "/", "bench_manager"))
    return cases


def clients() -> dict[str, tuple[Client, dict[str, str]]]:
    out = {}
    for username in ("bench_manager", "rep07"):
        user = User.objects.get(username=username)
        _token, raw = ApiToken.issue(user, "bench reports")
        client = Client()
        client.force_login(user)
        out[username] = (client, {"Authorization": f"Bearer {raw}"})
    return out


def measure(case: Case, client: Client, headers: dict[str, str]) -> None:
    def once() -> None:
        response = client.get(case.url, headers=headers if "/api/" in case.url else {})
        assert response.status_code == 200, (case.url, response.content[:300])
        if response.streaming:  # an export: the file is made as it is read
            b"".join(response.streaming_content)

    for _ in range(WARMUP):
        once()
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        began = time.perf_counter()
        once()
        case.times.append((time.perf_counter() - began) * 1000)
    case.queries = len(recorder.queries)
    case.slowest = max(recorder.queries, key=lambda q: q[0])
    if os.environ.get("BENCH_QUERIES") == "1":  # every query of the case, with its time
        for ms, sql, _params in recorder.queries:
            print(f"    {ms:7.1f} ms  {sql[:160]}")
    for _ in range(RUNS - 1):
        began = time.perf_counter()
        once()
        case.times.append((time.perf_counter() - began) * 1000)
    if EXPLAIN:
        prefix = (
            "EXPLAIN (ANALYZE, BUFFERS) "
            if connection.vendor == "postgresql"
            else "EXPLAIN QUERY PLAN "
        )
        _ms, sql, params = case.slowest
        with transaction.atomic(), connection.cursor() as cur:
            if (
                connection.vendor == "postgresql"
                and settings.REPORT_WORK_MEM
                and "/reports/" in case.url
            ):
                # as the report ran it: with its own work_mem and no JIT (reports.registry)
                cur.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                    [settings.REPORT_WORK_MEM],
                )
            cur.execute(prefix + sql, params)
            case.plan = "\n".join("    " + str(row[-1]) for row in cur.fetchall())


def main() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM crm_opportunity")
        total = cur.fetchone()[0]
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; {total:,} opportunities"
    )
    prepare()
    users = clients()
    run_and_report(build_cases(), users)


def run_and_report(
    all_cases: list[Case],
    users: dict[str, Any],
    *,
    target_ms: float = TARGET_MS,
    judged: Callable[[Case], bool] = lambda case: True,
) -> None:
    """Measures the cases (``BENCH_ONLY`` narrows them by label), prints the Markdown table of
    each against ``target_ms`` (a case ``judged`` false always passes), the slowest query's plan
    with BENCH_EXPLAIN; exits 1 on a miss with BENCH_STRICT=1."""
    only = os.environ.get("BENCH_ONLY", "")
    cases = [c for c in all_cases if only in c.label]
    for case in cases:
        measure(case, *users[case.user])
        print(f"  {case.label}: {statistics.median(case.times):.1f} ms", flush=True)
    print()
    print("| case | queries | median ms | max ms | slowest SQL ms | target | |")
    print("|---|---:|---:|---:|---:|---:|---|")
    failed = False
    for case in cases:
        median = statistics.median(case.times)
        ok = median <= target_ms or not judged(case)
        failed |= not ok
        print(
            f"| {case.label} | {case.queries} | {median:.1f} | {max(case.times):.1f} | "
            f"{case.slowest[0]:.1f} | {target_ms:.0f} | {'PASS' if ok else 'FAIL'} |"
        )
    if EXPLAIN:
        for case in cases:
            print(
                f"\n{case.label}: slowest query ({case.slowest[0]:.1f} ms)\n  {case.slowest[1][:600]}"
            )
            print(case.plan)
    if failed and os.environ.get("BENCH_STRICT") == "1":
        sys.exit(1)


if __name__ == "__main__":
    main()
