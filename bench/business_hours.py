"""How long the business-hours functions take (core.business_hours): the first response's
business minutes over spans of a day to a year, and the cut-off walk the overdue filter and the
home section compute once per request. Pure Python, no database.

    .venv/bin/python bench/business_hours.py
"""

from __future__ import annotations

import sys
import timeit
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opportune.core.business_hours import (
    DEFAULT_WORKING_HOURS,
    business_cutoff,
    business_minutes_between,
    parse_schedule,
)

HOLIDAYS = [{"date": f"2026-{m:02d}-01", "description": "first"} for m in range(1, 13)]
SCHEDULE = parse_schedule(DEFAULT_WORKING_HOURS, HOLIDAYS, "Europe/Berlin")
NOW = datetime(2026, 12, 7, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def per_call(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6  # microseconds


def main() -> None:
    for days in (1, 3, 30, 365):
        start = NOW - timedelta(days=days)
        us = per_call(lambda s=start: business_minutes_between(s, NOW, SCHEDULE), 200)
        print(f"business_minutes_between over {days:>3} days: {us:8.1f} µs")
    for minutes in (60, 480, 4800, 48000):
        us = per_call(lambda m=minutes: business_cutoff(NOW, m, SCHEDULE), 200)
        print(f"business_cutoff for {minutes:>5} business minutes: {us:8.1f} µs")


if __name__ == "__main__":
    main()
