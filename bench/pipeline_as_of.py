"""Time the reports of the pipeline's past (issue 15, decision 0032) on a generated database:
every report asked ``as_of`` a day a year ago, a month ago and yesterday (the state reports read
the kept pipeline; the event reports count what had happened by then), what moved over a month
and a quarter, and the forecast's accuracy over twelve months; as a manager and as a rep.

    .venv/bin/python bench/pipeline_as_of.py            # SQLite var/bench.sqlite3 (bench/generate.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/pipeline_as_of.py

bench/generate.py writes each opportunity's history (stage moves, slips, outcomes) and then the
kept pipeline (reports.snapshots.keep_snapshots; ``manage.py backfill_pipeline_snapshots`` on a
database generated without it). Same machinery and output as bench/reports.py (the JSON API
with a bearer token, median of runs, the slowest query's plan). Target: the pipeline as of a
past day under 1 s at 1M opportunities on PostgreSQL (the cases "pipeline as of ..." are
judged; the others are shown). A benchmark, not a test.
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
    yesterday = today - timedelta(days=1)
    days = [
        ("a year ago", today - timedelta(days=365)),
        ("a month ago", today - timedelta(days=30)),
        ("yesterday", yesterday),
    ]
    reports = []
    for when, day in days:
        as_of = f"as_of={day.isoformat()}"
        reports += [
            (f"pipeline as of {when}: owner x month", "sales-pipeline", as_of),
            (
                f"pipeline as of {when}: stage x quarter, amount",
                "sales-pipeline",
                f"{as_of}&group_by=sales_stage&range=quarterly&based_on=amount",
            ),
            (
                f"pipeline as of {when}: summary by stage, amount",
                "opportunity-summary",
                f"{as_of}&data_based_on=amount",
            ),
            (f"pipeline as of {when}: forecast", "forecast", as_of),
            (
                f"events as of {when}: lost by reason",
                "lost-opportunities",
                f"{as_of}&group_by=lost_reason",
            ),
            (f"events as of {when}: lost quotations", "lost-quotations", as_of),
            (f"events as of {when}: funnel", "sales-funnel", as_of),
            (f"events as of {when}: first response", "minutes-to-first-response", as_of),
        ]
    month = (
        f"from_date={(yesterday - timedelta(days=30)).isoformat()}&to_date={yesterday.isoformat()}"
    )
    quarter = (
        f"from_date={(yesterday - timedelta(days=91)).isoformat()}&to_date={yesterday.isoformat()}"
    )
    reports += [
        ("pipeline changes over a month", "pipeline-changes", month),
        ("pipeline changes over a quarter", "pipeline-changes", quarter),
        ("pipeline changes over a month: the won list", "pipeline-changes", f"{month}&bucket=won"),
        ("forecast accuracy, 12 months", "forecast-accuracy", ""),
        ("forecast accuracy per owner", "forecast-accuracy", "group_by=opportunity_owner"),
    ]
    return [
        harness.Case(f"{label} [{user}]", f"/api/v1/reports/{slug}?{query}", user)
        for user in ("bench_manager", "rep07")
        for label, slug, query in reports
    ]


def kept() -> str:
    """The kept pipeline: its rows, days and (PostgreSQL) table + index size."""
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM reports_pipelinestate")
        rows = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*), MIN(date), MAX(date) FROM reports_pipelinesnapshotday")
        days, first, last = cur.fetchone()
        size = ""
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT pg_size_pretty(pg_table_size('reports_pipelinestate')), "
                "pg_size_pretty(pg_indexes_size('reports_pipelinestate'))"
            )
            table, indexes = cur.fetchone()
            size = f" ({table} table + {indexes} indexes)"
    return f"{rows:,} kept states{size} over {days:,} days ({first} to {last})"


def main() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM crm_opportunity")
        total = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM crm_historicalopportunity")
        history = cur.fetchone()[0]
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; {total:,} "
        f"opportunities, {history:,} history records, {kept()}; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    users = harness.clients()
    harness.run_and_report(
        build_cases(),
        users,
        target_ms=TARGET_MS,
        judged=lambda case: case.label.startswith("pipeline as of"),
    )
    print("\nload average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
