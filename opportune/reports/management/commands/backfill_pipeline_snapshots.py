"""``manage.py backfill_pipeline_snapshots [--from YYYY-MM-DD] [--to YYYY-MM-DD]``: (re)build
the pipeline's daily snapshots (decision 0032) from the opportunities' recorded history, by
default from the first day of history to yesterday."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import CommandError

from opportune.core.audit import AuditedCommand
from opportune.reports.snapshots import build_days, company_today, first_history_day


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(AuditedCommand):
    help = "Build the pipeline's daily snapshots from the opportunities' history."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="from_date", type=_day, default=None)
        parser.add_argument("--to", dest="to_date", type=_day, default=None)

    def handle(self, *args: Any, from_date: date | None, to_date: date | None, **options: Any):
        yesterday = company_today() - timedelta(days=1)
        start = from_date or first_history_day()
        end = min(to_date or yesterday, yesterday)
        if start is None:
            self.stdout.write("No history yet: nothing to build.")
            return
        days = build_days(start, end) if start <= end else 0
        self.stdout.write(f"Built {days} day(s) of pipeline snapshots ({start} to {end}).")
