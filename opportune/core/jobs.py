"""Background jobs: how a service queues a task, and the worker's heartbeat.

Tasks live in each app's ``tasks.py`` (Huey, configured in settings: SqliteHuey by default,
RedisHuey when ``REDIS_URL`` is set). A service never calls a task directly: it queues it with
``enqueue_on_commit`` so that a worker never sees rows that are not committed yet, and a rolled
back transaction queues nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from opportune.core.models import Heartbeat

WORKER = "huey"


def enqueue_on_commit(task: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Queue ``task(*args, **kwargs)`` once the current transaction commits (now if none).

    Pass ids and plain values, never model instances: the worker reads fresh rows.
    """
    transaction.on_commit(lambda: task(*args, **kwargs))


def record_heartbeat(*, worker: str = WORKER, now: datetime | None = None) -> Heartbeat:
    """Note that ``worker`` is alive: one upsert, safe when several workers beat at once."""
    beat = Heartbeat(worker=worker, beat_at=now or timezone.now())
    Heartbeat.objects.bulk_create(
        [beat], update_conflicts=True, unique_fields=["worker"], update_fields=["beat_at"]
    )
    return beat


def last_heartbeat(worker: str = WORKER) -> datetime | None:
    return Heartbeat.objects.filter(worker=worker).values_list("beat_at", flat=True).first()
