"""What /healthz checks: the database, the job queue's storage, the worker's heartbeat and the
jobs waiting in the ledger (core.jobs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opportune.core.jobs import last_heartbeat
from opportune.core.models import Job

Check = Callable[[], dict[str, Any]]


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def check_queue() -> dict[str, Any]:
    """Reach the queue's storage (one round trip to Redis, or a read of the SQLite file)."""
    return {
        "status": "ok",
        "backend": type(HUEY.storage).__name__,
        "pending": HUEY.storage.queue_size(),
    }


def check_worker(now: datetime | None = None) -> dict[str, Any]:
    """Ok while the last heartbeat is younger than three missed beats."""
    now = now or timezone.now()
    limit = 3 * settings.HEARTBEAT_SECONDS
    beat_at = last_heartbeat()
    if beat_at is None:
        return {"status": "down", "error": "no heartbeat yet: is the worker (run_huey) running?"}
    age = (now - beat_at).total_seconds()
    result = {
        "last_heartbeat": beat_at.isoformat(),
        "age_seconds": round(age),
        "max_age_seconds": limit,
    }
    if age > limit:
        return {
            "status": "down",
            **result,
            "error": f"last heartbeat {round(age)} s ago (more than {limit} s)",
        }
    return {"status": "ok", **result}


def check_jobs(now: datetime | None = None) -> dict[str, Any]:
    """The ledger in one query: jobs pending, running and failed, and how long the oldest has been
    waiting (due and not run, or claimed by a worker whose lease ran out). Down when that is
    longer than JOB_MAX_WAIT_SECONDS: no worker takes the jobs, or the queue does not reach them.
    Failed jobs are counted (the admin lists them, to retry or delete)."""
    now = now or timezone.now()
    limit = settings.JOB_MAX_WAIT_SECONDS
    pending, running = Q(status=Job.Status.PENDING), Q(status=Job.Status.RUNNING)
    ledger = Job.objects.filter(
        status__in=[Job.Status.PENDING, Job.Status.RUNNING, Job.Status.FAILED]
    ).aggregate(
        pending=Count("pk", filter=pending),
        running=Count("pk", filter=running),
        failed=Count("pk", filter=Q(status=Job.Status.FAILED)),
        due_since=Min("run_after", filter=pending & Q(run_after__lte=now)),
        lease_lost_since=Min("lease_until", filter=running & Q(lease_until__lt=now)),
    )
    waiting_since = min(
        (t for t in (ledger.pop("due_since"), ledger.pop("lease_lost_since")) if t is not None),
        default=None,
    )
    wait = round((now - waiting_since).total_seconds()) if waiting_since else 0
    result = {**ledger, "oldest_wait_seconds": wait, "max_wait_seconds": limit}
    if wait > limit:
        return {
            "status": "down",
            **result,
            "error": f"a job has been waiting {wait} s (more than {limit} s): "
            "is a worker (run_huey) running, and can it reach the queue?",
        }
    return {"status": "ok", **result}


CHECKS: dict[str, Check] = {
    "database": check_database,
    "queue": check_queue,
    "worker": check_worker,
    "jobs": check_jobs,
}


def run_checks() -> tuple[bool, dict[str, Any]]:
    """Run every check; one that raises is down with the error. Returns (all ok, report)."""
    checks: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever its kind
            checks[name] = {"status": "down", "error": f"{type(exc).__name__}: {exc}"}
    down = [name for name, result in checks.items() if result["status"] != "ok"]
    report: dict[str, Any] = {"status": "down" if down else "ok", "checks": checks}
    if down:
        report["down"] = down
    return not down, report
