"""Core's Huey tasks: the worker heartbeat (for /healthz) and a ping for tests and checks."""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from opportune.core.jobs import record_heartbeat

# Every HEARTBEAT_SECONDS rounded to whole minutes (a crontab's resolution), at least every minute.
_BEAT_MINUTES = max(1, settings.HEARTBEAT_SECONDS // 60)


@db_periodic_task(crontab(minute="*" if _BEAT_MINUTES == 1 else f"*/{_BEAT_MINUTES}"))
def heartbeat() -> None:
    """Prove the consumer runs (scheduler and a worker); /healthz reads the last beat."""
    record_heartbeat()


@HUEY.on_startup()
def heartbeat_on_startup() -> None:
    """Beat as soon as a worker starts, so /healthz is green without waiting for the clock."""
    record_heartbeat()


@HUEY.on_shutdown()
def close_connections_on_shutdown() -> None:
    """A stopping worker thread closes its own database connections."""
    connections.close_all()


@db_task()
def ping(value: str = "pong") -> str:
    """Does nothing but answer: proves a task goes through the queue and a worker."""
    return value
