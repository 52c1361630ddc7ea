"""Business hours: working time per weekday and holidays in one time zone, as plain data.

A schedule is data, never code: ``working_hours`` maps a weekday (``mon`` .. ``sun``) to its
working intervals (``[{"start": "09:00", "end": "17:00"}]``; a day left out or empty is not
worked), ``holidays`` is a list of ``{"date": "YYYY-MM-DD", "description": "..."}`` (no work
that whole local day), and the times are wall-clock times in ``time_zone`` (an IANA name).
``parse_schedule`` checks such data strictly, naming the field of every problem
as the API does (``working_hours.mon[0].end``, ``holidays[2].date``), and builds a :class:`Schedule`.

Two pure functions answer the questions a service level asks:

* ``business_minutes_between(start, end, schedule)``: the working minutes in ``[start, end)``.
* ``business_cutoff(now, minutes, schedule)``: the instant ``t`` such that a moment before it
  has *more* than ``minutes`` working minutes until ``now`` and a moment at or after it does
  not; a list filters "waiting longer than the target" in SQL as ``creation < cutoff``.

Local days are walked one by one, so a daylight-saving change only changes the length of the
intervals that span it (measured as real elapsed time). A wall-clock time that does not exist
on the day the clocks go forward is read as ``fold=0`` (zoneinfo's choice): an interval that
starts in the gap starts at the moment the clocks jump.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opportune.core.errors import FieldErrors

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DEFAULT_WORKING_HOURS: dict[str, list[dict[str, str]]] = {
    day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS[:5]
}
MAX_INTERVALS_PER_DAY = 6
MAX_HOLIDAYS = 1000
MAX_DESCRIPTION = 140
# How far back or forward a walk looks for working time before it gives up (ten years).
MAX_DAYS = 3660

_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Schedule:
    """Working intervals (minutes from local midnight, end up to 1440) per weekday, Monday
    first; holidays as local dates; the zone the wall-clock times are read in."""

    zone: ZoneInfo
    hours: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()

    def intervals_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals of one local day as aware UTC instants, earliest first."""
        if day in self.holidays:
            return
        midnight = datetime.combine(day, time.min)
        for start, end in self.hours[day.weekday()]:
            begin = _aware(midnight + timedelta(minutes=start), self.zone)
            finish = _aware(midnight + timedelta(minutes=end), self.zone)
            if finish > begin:
                yield begin, finish

    def whole_day(self, day: date) -> timedelta | None:
        """The working time of the whole local day when its clock does not change that day
        (the sum of its intervals' wall-clock lengths); None on a daylight-saving change day,
        which needs the exact path (``intervals_on``)."""
        if day in self.holidays:
            return timedelta(0)
        midnight = datetime.combine(day, time.min)
        if self.zone.utcoffset(midnight) != self.zone.utcoffset(midnight + timedelta(days=1)):
            return None
        return self._lengths[day.weekday()]

    @property
    def _lengths(self) -> tuple[timedelta, ...]:
        cached: tuple[timedelta, ...] | None = self.__dict__.get("_lengths_cache")
        if cached is None:
            cached = tuple(
                timedelta(minutes=sum(end - start for start, end in day)) for day in self.hours
            )
            object.__setattr__(self, "_lengths_cache", cached)
        return cached

    @property
    def works(self) -> bool:
        return any(self.hours)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


# --- reading the data ---------------------------------------------------------------------------
def _minutes(value: Any) -> int | None:
    """``"09:30"`` -> 570; ``"24:00"`` -> 1440 (the end of the day); anything else: None."""
    if not isinstance(value, str):
        return None
    match = _TIME.match(value)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        return None
    return hours * 60 + minutes


def check_working_hours(
    value: Any, errors: FieldErrors, field: str = "working_hours"
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The intervals per weekday of ``value``, every problem added to ``errors`` by field."""
    days: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    if not isinstance(value, Mapping):
        errors.add(
            field,
            'Give the working hours per weekday, e.g. {"mon": [{"start": '
            '"09:00", "end": "17:00"}]}.',
        )
        return tuple(tuple(d) for d in days)
    for key, intervals in value.items():
        where = f"{field}.{key}"
        if key not in WEEKDAYS:
            errors.add(
                where if isinstance(key, str) else field,
                f"'{str(key)[:20]}' is not a weekday (use {', '.join(WEEKDAYS)}).",
            )
            continue
        if intervals is None:
            continue
        if not isinstance(intervals, list):
            errors.add(where, "Give a list of intervals (start and end), or none.")
            continue
        if len(intervals) > MAX_INTERVALS_PER_DAY:
            errors.add(where, f"At most {MAX_INTERVALS_PER_DAY} intervals a day.")
            continue
        parsed: list[tuple[int, int]] = []
        for n, interval in enumerate(intervals):
            at = f"{where}[{n}]"
            if not isinstance(interval, Mapping) or set(interval) != {"start", "end"}:
                errors.add(at, "An interval has a start and an end (HH:MM), nothing else.")
                continue
            start, end = _minutes(interval["start"]), _minutes(interval["end"])
            if start is None or start == 1440:
                errors.add(f"{at}.start", "A start is a time of day HH:MM (00:00 to 23:59).")
            if end is None:
                errors.add(f"{at}.end", "An end is a time of day HH:MM (00:01 to 24:00).")
            if start is None or end is None or start == 1440:
                continue
            if end <= start:
                errors.add(f"{at}.end", "An interval ends after it starts (same day).")
                continue
            parsed.append((start, end))
        parsed.sort()
        for (_s1, e1), (s2, _e2) in zip(parsed, parsed[1:], strict=False):
            if s2 < e1:
                errors.add(where, "Intervals of a day must not overlap.")
                break
        days[WEEKDAYS.index(key)] = parsed
    return tuple(tuple(d) for d in days)


def check_holidays(value: Any, errors: FieldErrors, field: str = "holidays") -> frozenset[date]:
    """The dates of ``value`` (a list of ``{"date", "description"}``), problems by field."""
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        errors.add(field, "Give a list of holidays, each a date and a description.")
        return frozenset()
    if len(value) > MAX_HOLIDAYS:
        errors.add(field, f"At most {MAX_HOLIDAYS} holidays.")
        return frozenset()
    seen: set[date] = set()
    for n, holiday in enumerate(value):
        at = f"{field}[{n}]"
        if not isinstance(holiday, Mapping) or not set(holiday) <= {"date", "description"}:
            errors.add(at, "A holiday has a date (YYYY-MM-DD) and a description, nothing else.")
            continue
        raw = holiday.get("date")
        try:
            day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
        except ValueError:
            day = None
        if day is None:
            errors.add(f"{at}.date", "A date is YYYY-MM-DD, a real day.")
        elif day in seen:
            errors.add(f"{at}.date", f"{day.isoformat()} is listed twice.")
        else:
            seen.add(day)
        description = holiday.get("description", "")
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            errors.add(
                f"{at}.description",
                f"A description is text of at most {MAX_DESCRIPTION} characters.",
            )
    return frozenset(seen)


def normalised_holidays(value: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Checked holidays as stored: date order, every description present."""
    rows = [{"date": h["date"], "description": (h.get("description") or "").strip()} for h in value]
    return sorted(rows, key=lambda h: h["date"])


def normalised_working_hours(value: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Checked working hours as stored: weekday order, intervals sorted, empty days left out."""
    out: dict[str, list[dict[str, str]]] = {}
    for day in WEEKDAYS:
        intervals = value.get(day) or []
        if intervals:
            out[day] = sorted(
                ({"start": i["start"], "end": i["end"]} for i in intervals),
                key=lambda i: i["start"],
            )
    return out


def parse_schedule(
    working_hours: Any, holidays: Any, time_zone: str, errors: FieldErrors | None = None
) -> Schedule:
    """A schedule from its data; with ``errors`` the problems are added there (the caller
    raises), without it any problem raises a ValidationError naming the fields."""
    collect = errors if errors is not None else FieldErrors()
    hours = check_working_hours(working_hours, collect)
    days = check_holidays(holidays, collect)
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        collect.add("time_zone", f"'{time_zone[:60]}' is not a known time zone.")
        zone = ZoneInfo("UTC")
    if errors is None:
        collect.raise_if_any()
    return Schedule(zone=zone, hours=hours, holidays=days)


# --- the two questions ---------------------------------------------------------------------------
def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def business_time_between(start: datetime, end: datetime, schedule: Schedule) -> timedelta:
    """Working time in ``[start, end)`` (none when ``end`` is not after ``start``)."""
    total = timedelta(0)
    if end <= start:
        return total
    first = day = _local_day(start, schedule.zone)
    last = _local_day(end, schedule.zone)
    while day <= last:
        whole = schedule.whole_day(day) if first < day < last else None
        if whole is not None:  # a day wholly inside the span, its clock unchanged
            total += whole
            day += timedelta(days=1)
            continue
        for begin, finish in schedule.intervals_on(day):
            lo, hi = max(begin, start), min(finish, end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def business_minutes_between(start: datetime, end: datetime, schedule: Schedule) -> Decimal:
    """Working minutes in ``[start, end)``, two decimals (0 when ``end`` is not after ``start``).
    Both instants must be aware."""
    return minutes_of(business_time_between(start, end, schedule))


def minutes_of(span: timedelta) -> Decimal:
    """A duration in minutes, two decimals (half up), exactly (no float on the way)."""
    micro = Decimal(span // timedelta(microseconds=1))
    return (micro / 60_000_000).quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)


def business_cutoff(now: datetime, minutes: int | Decimal, schedule: Schedule) -> datetime | None:
    """The instant before which a moment has more than ``minutes`` working minutes until
    ``now`` (``t < cutoff`` exactly when ``business_minutes_between(t, now) > minutes``).
    None when no working time is found in the ``MAX_DAYS`` before ``now`` (nothing waits
    longer, as far as one can tell)."""
    remaining = timedelta(minutes=float(minutes))
    today = day = _local_day(now, schedule.zone)
    for _ in range(MAX_DAYS):
        whole = schedule.whole_day(day) if day < today else None
        if whole is not None and remaining >= whole:  # the cut-off is earlier than this day
            remaining -= whole
            day -= timedelta(days=1)
            continue
        for begin, finish in reversed(list(schedule.intervals_on(day))):
            hi = min(finish, now)
            if hi <= begin:
                continue
            span = hi - begin
            if remaining < span:
                return hi - remaining
            remaining -= span
        day -= timedelta(days=1)
    return None
