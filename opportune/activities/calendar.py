"""The calendar's views of time: a month grid, a week, an agenda; each a range of days in the
user's time zone, with the previous and next range for navigation."""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

VIEWS = ("month", "week", "agenda")
AGENDA_DAYS = 30


@dataclass(frozen=True)
class CalendarRange:
    view: str
    day: date  # the day asked for
    first: date  # the first day shown
    last: date  # the last day shown
    previous: date
    next: date
    title: str

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The range as aware datetimes: from the first day's midnight to the day after last."""
        start = datetime.combine(self.first, time.min, tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone)
        return start, end

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def calendar_range(view: str, day: date) -> CalendarRange:
    if view == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        return CalendarRange(
            view,
            day,
            first,
            last,
            first - timedelta(days=7),
            first + timedelta(days=7),
            f"Week of {first:%d %B %Y}",
        )
    if view == "agenda":
        last = day + timedelta(days=AGENDA_DAYS - 1)
        return CalendarRange(
            view,
            day,
            day,
            last,
            day - timedelta(days=AGENDA_DAYS),
            last + timedelta(days=1),
            f"{day:%d %B %Y} to {last:%d %B %Y}",
        )
    month_first = day.replace(day=1)
    weeks = pycalendar.Calendar().monthdatescalendar(day.year, day.month)
    previous = (month_first - timedelta(days=1)).replace(day=1)
    following = (month_first + timedelta(days=32)).replace(day=1)
    return CalendarRange(
        "month", day, weeks[0][0], weeks[-1][-1], previous, following, f"{day:%B %Y}"
    )


def parse_view(value: str | None) -> str:
    return value if value in VIEWS else "month"


def parse_day(value: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return today
    return day if 1900 <= day.year <= 9000 else today
