"""The schedule: periodic jobs declared in each app's ``tasks.py``, at times read in the
company's time zone (CRM Settings), each run once per period however many workers there are.

    @scheduled("crm.close_silent_opportunities", cron="30 0 * * *")
    def close_silent_opportunities_job(*, scheduled_for: str) -> int: ...

``cron`` has the five crontab fields (minute hour day-of-month month day-of-week) read in the
company's time zone. The handler is a durable job (core.jobs): it takes ``scheduled_for``, the
ISO datetime (UTC) of the slot it runs for, is retried with backoff when it fails, and must be
idempotent.

The dispatcher (``dispatch_schedule``, run every minute by each worker: core.tasks) enqueues,
for each declared job, its latest slot at or before now, once: the job's ``ScheduleState`` row
keeps the latest slot handed to the ledger (a conditional UPDATE, so of two workers ticking at
once one wins) and the ledger's key ``schedule:<name>:<slot>`` refuses a second job besides.
See docs/decisions/0011-schedule.md for the rules:

- **catch-up once**: after the workers were down across several slots, only the latest missed
  slot runs (one job), not one per missed slot;
- **nothing from before the job was first seen**: a fresh install, or a job newly declared,
  starts with its next slot (a daily job does not run at deploy time for a slot already past);
- **time zone**: the cron is wall-clock time in the company's zone. A time skipped when clocks
  go forward runs at that time read with the offset before the change (02:30 -> 03:30 summer
  time, as RFC 5545 reads it); a time that occurs twice when clocks go back runs once, at its
  first occurrence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opportune.core.company import company_settings
from opportune.core.jobs import Handler, durable_job, enqueue_job
from opportune.core.models import Job, ScheduleState

logger = logging.getLogger(__name__)

H = TypeVar("H", bound=Handler)

MINUTE = timedelta(minutes=1)
# A zone changes its offset at most once in this much time either side of now (every real zone
# does): the offsets seen at now and one such span either side bound the offsets of nearby times.
_OFFSET_SPAN = timedelta(days=1)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str
    handler: Handler


_SCHEDULE: dict[str, ScheduledJob] = {}


def scheduled(
    name: str, *, cron: str, max_attempts: int | None = None, lease_seconds: int | None = None
) -> Callable[[H], H]:
    """Declare ``handler`` as the periodic job ``name``, due at the times of ``cron``."""
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise ValueError(f"The schedule of {name!r} is not a five-field cron: {cron!r}.")
    try:  # a date that never comes (30 February) is refused here, not at every tick
        croniter(cron, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError as exc:
        raise ValueError(f"The schedule of {name!r} never comes round: {cron!r}.") from exc

    def register(handler: H) -> H:
        durable_job(name, max_attempts=max_attempts, lease_seconds=lease_seconds)(handler)
        _SCHEDULE[name] = ScheduledJob(name, cron, handler)
        return handler

    return register


def schedule() -> list[ScheduledJob]:
    """Every declared periodic job, by name."""
    return [_SCHEDULE[name] for name in sorted(_SCHEDULE)]


def scheduled_job(name: str) -> ScheduledJob | None:
    return _SCHEDULE.get(name)


# --- the times of a cron in a time zone ----------------------------------------------------------
def company_zone() -> ZoneInfo:
    """The company's time zone (CRM Settings); UTC, logged, if the stored name is unknown."""
    name = company_settings().time_zone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.error("CRM Settings name an unknown time zone %r: the schedule reads UTC.", name)
        return ZoneInfo("UTC")


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _instant(wall: datetime, zone: tzinfo) -> datetime:
    """The UTC instant (naive) of the wall-clock time ``wall`` in ``zone``: a time skipped when
    clocks go forward is read with the offset before the change, a repeated one is its first
    occurrence (``fold=0`` does both)."""
    return _utc_naive(wall.replace(tzinfo=zone, fold=0))


def _offsets(zone: tzinfo, now: datetime) -> tuple[timedelta, timedelta]:
    """The least and greatest UTC offsets of ``zone`` around ``now``."""
    seen = [
        (now + step).astimezone(zone).utcoffset() or timedelta(0)
        for step in (-_OFFSET_SPAN, timedelta(0), _OFFSET_SPAN)
    ]
    return min(seen), max(seen)


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def latest_slot(cron: str, zone: tzinfo, now: datetime) -> datetime:
    """The latest time of ``cron`` (wall-clock in ``zone``) at or before ``now``, in UTC.

    A wall time ``w`` is the instant ``w - offset(w)``; the offsets around now are between
    ``low`` and ``high``, so a slot at or before now is a wall time at or before ``now + high``,
    and once a wall time ``w`` is reached with ``w - low`` not after the best instant found, no
    earlier wall time can beat it (across a change of offset the instants are not in the order
    of the wall times, hence the search rather than one step back).
    """
    at = _utc_naive(now)
    low, high = _offsets(zone, now)
    times = croniter(cron, _floor_minute(at + high) + MINUTE)
    best: datetime | None = None
    while True:
        wall = times.get_prev(datetime)
        instant = _instant(wall, zone)
        if instant <= at and (best is None or instant > best):
            best = instant
        if best is not None and wall - low <= best:
            return best.replace(tzinfo=UTC)


def next_slot(cron: str, zone: tzinfo, now: datetime) -> datetime:
    """The first time of ``cron`` (wall-clock in ``zone``) after ``now``, in UTC (the mirror
    of ``latest_slot``)."""
    at = _utc_naive(now)
    low, high = _offsets(zone, now)
    times = croniter(cron, _floor_minute(at + low) - MINUTE)
    best: datetime | None = None
    while True:
        wall = times.get_next(datetime)
        instant = _instant(wall, zone)
        if instant > at and (best is None or instant < best):
            best = instant
        if best is not None and wall - high >= best:
            return best.replace(tzinfo=UTC)


def slot_key(name: str, slot: datetime) -> str:
    """The ledger key of the job ``name`` for ``slot``: one job per slot."""
    return f"schedule:{name}:{slot_iso(slot)}"


def slot_iso(slot: datetime) -> str:
    return slot.astimezone(UTC).isoformat()


def slot_time(scheduled_for: str) -> datetime:
    """The slot a handler runs for (its ``scheduled_for``), as an aware datetime."""
    return datetime.fromisoformat(scheduled_for)


def slot_date(scheduled_for: str) -> date:
    """The company's calendar day of the slot (what a daily job's service takes as ``today``)."""
    return slot_time(scheduled_for).astimezone(company_zone()).date()


# --- the dispatcher ----------------------------------------------------------------------------
def dispatch_schedule(
    *, now: datetime | None = None, jobs: Iterable[ScheduledJob] | None = None
) -> list[str]:
    """Enqueue the latest due slot of each declared job (``jobs``: all of them) once; returns
    the ledger keys of the jobs it added. What every worker runs every minute: safe at once on
    several. One query reads every job's state (and one adds the jobs never seen before); a job
    is only written when one of its slots is due."""
    now = now or timezone.now()
    declared = {job.name: job for job in (schedule() if jobs is None else jobs)}
    if not declared:
        return []
    states = {s.name: s for s in ScheduleState.objects.filter(name__in=list(declared))}
    unseen = [ScheduleState(name=name, first_seen=now) for name in declared if name not in states]
    if unseen:  # first seen now: their slots at or before now are not run (the next one is)
        ScheduleState.objects.bulk_create(unseen, ignore_conflicts=True)
    zone = company_zone()
    added = []
    for name, state in states.items():
        slot = latest_slot(declared[name].cron, zone, now)
        if slot < state.first_seen or (state.last_slot is not None and slot <= state.last_slot):
            continue
        with transaction.atomic():
            # The worker whose UPDATE moves last_slot on enqueues; another one, ticking at the
            # same moment, updates nothing (and the ledger's key would refuse its job anyway).
            ahead = Q(last_slot__isnull=True) | Q(last_slot__lt=slot)
            if ScheduleState.objects.filter(ahead, name=name).update(last_slot=slot):
                key = slot_key(name, slot)
                enqueue_job(name, key=key, scheduled_for=slot_iso(slot))
                added.append(key)
    if added:
        logger.info("Schedule: enqueued %s", ", ".join(added))
    return added


# --- what the schedule page shows -----------------------------------------------------------
@dataclass(frozen=True)
class ScheduleRow:
    name: str
    cron: str
    time_zone: str
    first_seen: datetime | None
    last_slot: datetime | None  # the latest slot enqueued
    last_status: str  # its job's status ("" when its job row is gone or there is none)
    last_finished: datetime | None
    next_slot: datetime


def schedule_overview(*, now: datetime | None = None) -> list[ScheduleRow]:
    """Each declared job: its cron, the company's zone, its last slot with its job's state, and
    its next slot. Two queries."""
    now = now or timezone.now()
    zone = company_zone()
    jobs = schedule()
    states = {s.name: s for s in ScheduleState.objects.filter(name__in=[j.name for j in jobs])}
    last_keys = [slot_key(s.name, s.last_slot) for s in states.values() if s.last_slot is not None]
    ledger = {
        key: (status, finished)
        for key, status, finished in Job.objects.filter(key__in=last_keys).values_list(
            "key", "status", "finished"
        )
    }
    rows = []
    for job in jobs:
        state = states.get(job.name)
        last = state.last_slot if state else None
        status, finished = ledger.get(slot_key(job.name, last), ("", None)) if last else ("", None)
        rows.append(
            ScheduleRow(
                name=job.name,
                cron=job.cron,
                time_zone=zone.key,
                first_seen=state.first_seen if state else None,
                last_slot=last,
                last_status=status,
                last_finished=finished,
                next_slot=next_slot(job.cron, zone, now),
            )
        )
    return rows
