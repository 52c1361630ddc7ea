"""Time the reports of the pipeline's past (issue 15, decision 0032) on a generated database:
the pipeline as of a past day (sales pipeline, summary, forecast with ``as_of``), what moved
between two past days and the forecast's accuracy over twelve months.

    .venv/bin/python bench/pipeline_as_of.py            # SQLite var/bench.sqlite3 (bench/generate.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/pipeline_as_of.py

bench/generate.py writes each opportunity's history (stage moves, slips, outcomes) and then the
daily snapshots (reports.snapshots.keep_snapshots). Same machinery and output as bench/reports.py
(the JSON API with a bearer token, median of runs, the slowest query's plan). Target: the
pipeline as of a past day under 1 s at 1M opportunities on PostgreSQL. A benchmark, not a test.
"""

from __future__ import annotations

import os
from datetime import timedelta

import reports as harness  # bench/reports.py (sets Django up)
from django.db import connection
from django.utils import timezone

TARGET_MS = float(os.environ.get("BENCH_TARGET_MS", "1000"))


def build_cases() -> list[harness.Case]:
    today = timezone.localdate()
    day = today - timedelta(days=180)
    month_ago = day - timedelta(days=30)
    closing = f"from_date={(day - timedelta(days=90)).isoformat()}&to_date={(day + timedelta(days=180)).isoformat()}"
    as_of = f"as_of={day.isoformat()}"
    reports = [
        ("pipeline as of 180 days ago: owner x month", "sales-pipeline", f"{closing}&{as_of}"),
        (
            "pipeline as of 180 days ago: stage x quarter, amount",
            "sales-pipeline",
            f"{closing}&{as_of}&group_by=sales_stage&range=quarterly&based_on=amount",
        ),
        ("summary by stage as of 180 days ago", "opportunity-summary", as_of),
        ("forecast as of 180 days ago", "forecast", f"{closing}&{as_of}"),
        (
            "pipeline changes over 30 days (180 days ago)",
            "pipeline-changes",
            f"from_date={month_ago.isoformat()}&to_date={day.isoformat()}",
        ),
        (
            "pipeline changes: the won list",
            "pipeline-changes",
            f"from_date={month_ago.isoformat()}&to_date={day.isoformat()}&bucket=won",
        ),
        ("forecast accuracy, 12 months", "forecast-accuracy", ""),
        ("forecast accuracy per owner", "forecast-accuracy", "group_by=opportunity_owner"),
    ]
    return [
        harness.Case(f"{label} [{user}]", f"/api/v1/reports/{slug}?{query}", user)
        for user in ("bench_manager", "rep07")
        for label, slug, query in reports
    ]


def main() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM crm_opportunity")
        total = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM crm_historicalopportunity")
        history = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT date) FROM reports_pipelinesnapshot")
        rows, days = cur.fetchone()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; {total:,} "
        f"opportunities, {history:,} history records, {rows:,} snapshot rows over {days:,} days"
    )
    users = harness.clients()
    harness.run_and_report(
        build_cases(), users, target_ms=TARGET_MS, judged=lambda case: "as of" in case.label
    )


if __name__ == "__main__":
    main()
