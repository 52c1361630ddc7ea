"""The schedule: periodic jobs declared in each app's ``tasks.py``, at times read in the
company's time zone (CRM Settings), each run once per period however many workers there are.

    @scheduled("crm.close_silent_opportunities", cron="30 0 * * *")
    def close_silent_opportunities_job(*, scheduled_for: str) -> int: ...

``cron`` has the five crontab fields (minute hour day-of-month month day-of-week) read in the
company's time zone. The handler is a durable job (core.jobs): it takes ``scheduled_for``, the
ISO datetime (UTC) of the slot it runs for, is retried with backoff when it fails, and must be
idempotent. (The dispatcher that enqueues each due slot once is built in issue 9.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from opportune.core.jobs import Handler, durable_job

H = TypeVar("H", bound=Handler)


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

    def register(handler: H) -> H:
        durable_job(name, max_attempts=max_attempts, lease_seconds=lease_seconds)(handler)
        _SCHEDULE[name] = ScheduledJob(name, cron, handler)
        return handler

    return register


def schedule() -> list[ScheduledJob]:
    """Every declared periodic job, by name."""
    return [_SCHEDULE[name] for name in sorted(_SCHEDULE)]
