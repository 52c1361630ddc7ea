"""What /healthz checks: the database, the job queue's storage and the worker's heartbeat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opportune.core.jobs import last_heartbeat

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


CHECKS: dict[str, Check] = {
    "database": check_database,
    "queue": check_queue,
    "worker": check_worker,
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
