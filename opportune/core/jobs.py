"""Background jobs that survive faults: the durable job ledger, and the worker's heartbeat.

A service asks for a job by name with ``enqueue_job("crm.remind", key=..., event_id=7)``: a
``Job`` row is written in the caller's transaction (a rolled back transaction leaves none) and,
once it commits, the job's id is handed to Huey (SqliteHuey, or RedisHuey with ``REDIS_URL``).
The worker that takes the id off the queue *claims* the row (one conditional UPDATE pending ->
running with a lease: a second claimer gets nothing), runs the handler registered under that
name, and marks the job done **in the same database transaction as the handler's effects**. So:

- a worker killed half-way (SIGKILL, OOM, a lost machine) commits nothing; its lease runs out,
  the sweeper puts the job back to pending and hands it again: its database effects happen
  exactly once;
- a queue that is down (Redis) or a message lost on the way loses nothing: the row waits as
  pending, the sweeper hands it again, and ``/healthz`` says so when it waits too long;
- a handler that raises is retried with backoff, up to its attempts, then the job is
  ``failed``: counted on ``/healthz`` and listed in the admin, where it can be retried.

Handlers take keyword arguments of plain JSON values (ids, not model instances: the worker reads
fresh rows) and are registered by name in each app's ``tasks.py`` with ``@durable_job(name)``.
For an effect outside the database (an email), the handler records the send in the same
transaction, keyed by an idempotency key, and looks for that record first: see
docs/decisions/0010-durable-jobs.md.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from huey.contrib.djhuey import db_task

from opportune.core.models import Heartbeat, Job
from opportune.core.statements import Placeholders, execute, insert_unless_taken, update_sql

logger = logging.getLogger(__name__)

WORKER = "huey"
# A pending job handed to the queue this long ago and still not claimed is handed again (its
# message was lost: the queue was flushed, or the hand-off failed and could not be noted).
REHAND_AFTER = timedelta(minutes=5)
# The sweeper also hands the jobs due before its next run, with their delay (the retries).
SWEEP_PERIOD = timedelta(minutes=1)
SWEEP_BATCH = 500
MAX_RETRY_DELAY = timedelta(hours=1)

Handler = Callable[..., object]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class JobType:
    name: str
    handler: Handler
    max_attempts: int | None  # None: settings.JOB_MAX_ATTEMPTS
    lease_seconds: int | None  # None: settings.JOB_LEASE_SECONDS

    @property
    def attempts_allowed(self) -> int:
        return self.max_attempts or settings.JOB_MAX_ATTEMPTS

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds or settings.JOB_LEASE_SECONDS)


_JOB_TYPES: dict[str, JobType] = {}


def durable_job(
    name: str, *, max_attempts: int | None = None, lease_seconds: int | None = None
) -> Callable[[H], H]:
    """Register ``handler`` as the job ``name`` (``@durable_job("crm.remind")`` in a tasks.py).

    ``lease_seconds`` must exceed the handler's longest run: past it, the job is taken to be
    lost with its worker and is run again (the late run's commit is then refused).
    """

    def register(handler: H) -> H:
        known = _JOB_TYPES.get(name)
        if known is not None and known.handler is not handler:
            raise ValueError(f"Two durable jobs are named {name!r}.")
        _JOB_TYPES[name] = JobType(name, handler, max_attempts, lease_seconds)
        return handler

    return register


def job_type(name: str) -> JobType | None:
    return _JOB_TYPES.get(name)


def enqueue_job(name: str, *, key: str = "", **args: Any) -> int:
    """Record the job ``name(**args)`` in the current transaction and hand it to the queue once
    that commits (now when there is none). Returns the job's id.

    ``key`` (the idempotency key, e.g. ``"reminder:42:2026-12-01T09:00"``): when a job with
    this key exists, no other is added and its id is returned. Without one, every call adds a job.
    """
    job = _new_job(name, key or f"{name}:{uuid.uuid4().hex}", args)
    # One INSERT ... ON CONFLICT (key) DO UPDATE (a no-op) RETURNING id: the id, new or not.
    Job.objects.bulk_create(
        [job], update_conflicts=True, unique_fields=["key"], update_fields=["key"]
    )
    transaction.on_commit(partial(_hand_or_leave_for_sweeper, job.pk, name))
    return job.pk


def enqueue_job_once(
    name: str, *, key: str, run_after: datetime | None = None, **args: Any
) -> int | None:
    """Record the job ``name(**args)`` keyed ``key`` unless a job with that key exists, and hand
    it to the queue once the transaction commits, to run at ``run_after`` (now when not given).
    Answers the new job's id; None when the key was taken: nothing is added **and nothing is
    handed** (the job that has the key runs as it was asked, or ran already).

    For a job many writes share (the notifications' emails of a time bucket): only the first
    asks the queue, the others cost one INSERT that writes nothing. On PostgreSQL a second
    transaction inserting the same key waits for the first to end (the unique index), then
    adds nothing if it committed. ``enqueue_job`` answers the existing job and hands it again.
    """
    job = _new_job(name, key, args, run_after)
    # INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id: the new id, None when taken
    pk = insert_unless_taken(job, returning="id", conflict=["key"])
    if pk is None:
        return None
    transaction.on_commit(partial(_hand_or_leave_for_sweeper, int(pk), name, at=job.run_after))
    return int(pk)


def _new_job(name: str, key: str, args: dict[str, Any], run_after: datetime | None = None) -> Job:
    """The ledger row of a registered job, to run at ``run_after`` (now when not given)."""
    if name not in _JOB_TYPES:
        raise ValueError(f"No durable job is named {name!r} (registered with @durable_job).")
    now = timezone.now()
    return Job(
        name=name,
        args=args,
        key=key,
        run_after=run_after or now,
        handed_at=now,  # it is, on commit; set back to empty if the queue refuses it
        created=now,
    )


# --- the hand-off to Huey -----------------------------------------------------------------------
def _run_job_by_id(job_id: int, name: str | None = None) -> None:
    # Returns nothing: Huey would keep a returned value in its result store, read by no one.
    # ``name`` travels with the id so that the claim is one statement; a message handed
    # before it did (an upgrade with jobs on the queue) has none, and the claim reads it.
    run_job(job_id, name)


# The one Huey task of the ledger: its message is only a job id. (Not a decorator: Huey is
# untyped.) djhuey's db_task closes stale database connections around it.
run_job_task: Any = db_task(name="core.run_job")(_run_job_by_id)


def _hand(job_id: int, name: str, *, at: datetime | None = None) -> bool:
    """Put the job's id and name on the queue (to run at ``at``); False, logged, when the queue
    cannot take it: the job then waits in the ledger for the sweeper."""
    try:
        if at is not None and at > timezone.now():
            run_job_task.schedule((job_id, name), eta=at)
        else:
            run_job_task(job_id, name)
    except Exception:  # whatever the queue raises (Redis down, a locked file), the job is kept
        logger.exception(
            "Job %s could not be put on the queue; it waits in the database for the sweeper.",
            job_id,
        )
        return False
    return True


def _hand_or_leave_for_sweeper(job_id: int, name: str, *, at: datetime | None = None) -> None:
    if not _hand(job_id, name, at=at):
        with suppress(DatabaseError):  # if even this fails, the sweeper hands it after a while
            Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(handed_at=None)


# --- a worker runs a job ------------------------------------------------------------------------
class LeaseLost(Exception):
    """The job was given to another worker while this one ran it (its lease ran out)."""


@dataclass(frozen=True)
class Claimed:
    """A job this worker holds: its attempt number fences every later write (``_finish``)."""

    pk: int
    name: str
    args: dict[str, Any]
    attempts: int


def run_job(job_id: int, name: str | None = None) -> str:
    """Claim the job, run its handler and mark it done, in one transaction with the handler's
    effects. Answers ``"done"``, ``"retry"``, ``"failed"``, ``"lease lost"``, or ``"skipped"``
    when the job is not pending (done, running elsewhere, or deleted). ``name``: the job's, as
    handed with its id (read from its row when not given)."""
    job = _claim(job_id, name)
    if job is None:
        return "skipped"
    kind = _JOB_TYPES.get(job.name)
    try:
        if kind is None:
            raise LookupError(f"No handler is registered for the job {job.name!r}.")
        with transaction.atomic():
            kind.handler(**job.args)
            if not _finish(job, status=Job.Status.DONE, finished=timezone.now()):
                raise LeaseLost
    except LeaseLost:
        logger.warning("Job %s (%s): its lease ran out, another attempt took it.", job.pk, job.name)
        return "lease lost"
    except Exception as exc:  # a failing handler, whatever it raised, is retried or failed
        return _record_failure(job, kind, exc)
    return "done"


def _claim(job_id: int, name: str | None) -> Claimed | None:
    """Pending -> running for this worker, with its type's lease: one ``UPDATE ... RETURNING``
    (a kept statement: every job runs it) that a second claimer finds done; None when the job
    is not pending (or not of that name)."""
    if name is None:
        name = Job.objects.filter(pk=job_id).values_list("name", flat=True).first()
        if name is None:
            return None
    kind = _JOB_TYPES.get(name)
    lease = kind.lease if kind else timedelta(seconds=settings.JOB_LEASE_SECONDS)

    def build(v: Placeholders) -> tuple[str, list[Any]]:
        pending = Job.objects.filter(pk=v.job, name=v.name, status=Job.Status.PENDING)
        sql, params = update_sql(
            pending,
            {"status": Job.Status.RUNNING, "attempts": F("attempts") + 1, "lease_until": v.until},
            connection.alias,
        )
        return f"{sql} RETURNING {_column('args')}, {_column('attempts')}", params

    rows = execute("jobs.claim", build, job=job_id, name=name, until=timezone.now() + lease)
    if not rows:
        return None
    args, attempts = rows[0]
    # the JSON as the database gives it (text from both, as Django's JSONField reads it)
    return Claimed(job_id, name, json.loads(args) if isinstance(args, str) else args, attempts)


def _column(field: str) -> str:
    return connection.ops.quote_name(field)  # Job's columns are named as its fields


def _finish(job: Claimed | Job, **changes: Any) -> bool:
    """Write ``changes`` if this attempt still holds the job (its attempt number is the fence):
    a kept statement per set of changed columns (which of them are None is in its key)."""
    changes = {"lease_until": None, **changes}
    shape = tuple(sorted((column, value is None) for column, value in changes.items()))
    values = {column: value for column, value in changes.items() if value is not None}

    def build(v: Placeholders) -> tuple[str, list[Any]]:
        held = Job.objects.filter(pk=v.job, status=Job.Status.RUNNING, attempts=v.attempts)
        written = {column: None if empty else getattr(v, column) for column, empty in shape}
        sql, params = update_sql(held, written, connection.alias)
        return f"{sql} RETURNING {_column('id')}", params

    key = ("jobs.finish", shape)
    return bool(execute(key, build, job=job.pk, attempts=job.attempts, **values))


def retry_delay(attempts: int) -> timedelta:
    """Before attempt ``attempts + 1``: JOB_RETRY_SECONDS, doubled at each attempt, at most 1 h."""
    doublings = min(max(attempts - 1, 0), 20)  # past 20 it is an hour anyway
    delay = timedelta(seconds=settings.JOB_RETRY_SECONDS * 2**doublings)
    return min(delay, MAX_RETRY_DELAY)


def _record_failure(job: Claimed, kind: JobType | None, exc: Exception) -> str:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    allowed = kind.attempts_allowed if kind else settings.JOB_MAX_ATTEMPTS
    if job.attempts >= allowed:
        logger.error(
            "Job %s (%s) failed for good after %s attempts: %s",
            job.pk,
            job.name,
            job.attempts,
            error,
        )
        _finish(job, status=Job.Status.FAILED, last_error=error, finished=now)
        return "failed"
    run_after = now + retry_delay(job.attempts)
    logger.warning(
        "Job %s (%s) attempt %s failed, retried at %s: %s",
        job.pk,
        job.name,
        job.attempts,
        run_after,
        error,
    )
    if _finish(
        job, status=Job.Status.PENDING, last_error=error, run_after=run_after, handed_at=now
    ) and not _hand(job.pk, job.name, at=run_after):
        Job.objects.filter(pk=job.pk, status=Job.Status.PENDING).update(handed_at=None)
    return "retry"


# --- the sweeper: lost leases, jobs never handed, old finished jobs ------------------------------
def sweep_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """What a worker runs every minute (and when it starts): jobs whose worker died (lease run
    out) go back to pending with backoff, or to failed after their last attempt; pending jobs due
    and not on the queue are handed to it; finished jobs older than JOB_KEEP_DAYS are deleted.
    Safe to run on several workers at once. Returns how many jobs each step touched."""
    now = now or timezone.now()
    released, failed = _release_expired_leases(now)
    return {
        "released": released,
        "failed": failed,
        "handed": _hand_waiting_jobs(now),
        "deleted": _delete_old_jobs(now),
    }


def _release_expired_leases(now: datetime) -> tuple[int, int]:
    released = failed = 0
    expired = Job.objects.filter(status=Job.Status.RUNNING, lease_until__lt=now)
    for job in expired.order_by("lease_until")[:SWEEP_BATCH]:
        kind = _JOB_TYPES.get(job.name)
        allowed = kind.attempts_allowed if kind else settings.JOB_MAX_ATTEMPTS
        error = f"Lease expired at {job.lease_until:%Y-%m-%d %H:%M:%S} UTC: the worker stopped during attempt {job.attempts}."
        if job.attempts >= allowed:
            failed += _finish(job, status=Job.Status.FAILED, last_error=error, finished=now)
            logger.error("Job %s (%s) failed for good: %s", job.pk, job.name, error)
        else:
            released += _finish(
                job,
                status=Job.Status.PENDING,
                last_error=error,
                run_after=now + retry_delay(job.attempts),
                handed_at=None,
            )
            logger.warning("Job %s (%s): %s It will run again.", job.pk, job.name, error)
    return released, failed


def _hand_waiting_jobs(now: datetime) -> int:
    not_on_queue = Q(handed_at__isnull=True) | Q(handed_at__lt=now - REHAND_AFTER)
    waiting = Job.objects.filter(not_on_queue, status=Job.Status.PENDING)
    due = waiting.filter(run_after__lte=now + SWEEP_PERIOD).order_by("run_after")
    handed = 0
    for job_id, name, run_after in due.values_list("pk", "name", "run_after")[:SWEEP_BATCH]:
        # Only the sweeper that marks it hands it (several may sweep at once).
        if not waiting.filter(pk=job_id).update(handed_at=now):
            continue
        if not _hand(job_id, name, at=run_after):
            Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(handed_at=None)
            break  # the queue is down: the others wait for the next sweep
        handed += 1
    return handed


def _delete_old_jobs(now: datetime) -> int:
    old = Job.objects.filter(
        status=Job.Status.DONE, finished__lt=now - timedelta(days=settings.JOB_KEEP_DAYS)
    )
    ids = list(old.values_list("pk", flat=True)[:SWEEP_BATCH])
    return Job.objects.filter(pk__in=ids).delete()[0] if ids else 0


def retry_failed_jobs(job_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Give failed jobs a fresh set of attempts (the admin's action): they are handed on commit."""
    now = now or timezone.now()
    jobs = list(
        Job.objects.filter(pk__in=list(job_ids), status=Job.Status.FAILED).values_list("pk", "name")
    )
    Job.objects.filter(pk__in=[pk for pk, _name in jobs]).update(
        status=Job.Status.PENDING, attempts=0, run_after=now, handed_at=now, finished=None
    )
    for job_id, name in jobs:
        transaction.on_commit(partial(_hand_or_leave_for_sweeper, job_id, name))
    return len(jobs)


# --- the worker's heartbeat ---------------------------------------------------------------------
def record_heartbeat(*, worker: str = WORKER, now: datetime | None = None) -> Heartbeat:
    """Note that ``worker`` is alive: one upsert, safe when several workers beat at once."""
    beat = Heartbeat(worker=worker, beat_at=now or timezone.now())
    Heartbeat.objects.bulk_create(
        [beat], update_conflicts=True, unique_fields=["worker"], update_fields=["beat_at"]
    )
    return beat


def last_heartbeat(worker: str = WORKER) -> datetime | None:
    return Heartbeat.objects.filter(worker=worker).values_list("beat_at", flat=True).first()
