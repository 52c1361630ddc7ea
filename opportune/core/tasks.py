"""Core's Huey tasks: the worker heartbeat (for /healthz), the job ledger's sweeper, the
schedule's dispatcher, and a ping for tests and checks. (The ledger's own task,
``core.run_job``, is declared in core.jobs.) These are the only Huey periodic tasks: the
business's periodic jobs are declared with ``@scheduled`` (core.schedule) and enqueued by the
dispatcher, once per slot however many workers tick."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from opportune.core.audit import JOB, enter_door, leave_door
from opportune.core.imports import run_batch
from opportune.core.jobs import durable_job, record_heartbeat, sweep_jobs
from opportune.core.schedule import dispatch_schedule

# Every HEARTBEAT_SECONDS rounded to whole minutes (a crontab's resolution), at least every minute.
_BEAT_MINUTES = max(1, settings.HEARTBEAT_SECONDS // 60)


@db_periodic_task(crontab(minute="*" if _BEAT_MINUTES == 1 else f"*/{_BEAT_MINUTES}"))
def heartbeat() -> None:
    """Prove the consumer runs (scheduler and a worker); /healthz reads the last beat."""
    record_heartbeat()


@db_periodic_task(crontab(minute="*"))
def sweep_durable_jobs() -> dict[str, int]:
    """Every minute: jobs whose worker died run again, jobs the queue never got are handed to it."""
    return sweep_jobs()


@db_periodic_task(crontab(minute="*"))
def dispatch_scheduled_jobs() -> None:
    """Every minute, on every worker: the due slot of each scheduled job is enqueued, once."""
    dispatch_schedule()


@HUEY.on_startup()
def heartbeat_on_startup() -> None:
    """Beat as soon as a worker starts, so /healthz is green without waiting for the clock."""
    record_heartbeat()


@HUEY.on_startup()
def sweep_on_startup() -> None:
    """A worker (re)started after a crash takes up the jobs left behind without waiting."""
    sweep_jobs()


@HUEY.on_startup()
def dispatch_on_startup() -> None:
    """A worker started after being down catches up at once: the latest missed slot of each
    scheduled job is enqueued (once) without waiting for the minute."""
    dispatch_schedule()


@HUEY.on_shutdown()
def close_connections_on_shutdown() -> None:
    """A stopping worker thread closes its own database connections."""
    connections.close_all()


@HUEY.pre_execute()
def enter_job_door(task: Any) -> None:
    """What a task changes is recorded as done by a job (core.audit)."""
    task._audit_door = enter_door(JOB)


@HUEY.post_execute()
def leave_job_door(task: Any, task_value: Any, exc: BaseException | None) -> None:
    token = getattr(task, "_audit_door", None)
    if token is not None:
        task._audit_door = None
        leave_door(token)


@db_task()
def ping(value: str = "pong") -> str:
    """Does nothing but answer: proves a task goes through the queue and a worker."""
    return value


@durable_job("core.import_rows", lease_seconds=3600)
def import_rows(*, import_id: int, start: int) -> None:
    """A batch of an import's pass (core.imports.run_batch; it queues the next batch)."""
    run_batch(import_id, start, queue=True)
