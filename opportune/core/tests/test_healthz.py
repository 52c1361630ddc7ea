"""GET /healthz: 200 when the database, the queue, the worker and the jobs are fine; 503 naming
what is not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from opportune.core.jobs import enqueue_job, record_heartbeat
from opportune.core.models import Heartbeat, Job

pytestmark = pytest.mark.django_db


def get_health():
    response = Client().get("/healthz")
    return response.status_code, response.json()


def test_all_ok_with_a_fresh_heartbeat(settings):
    settings.HEARTBEAT_SECONDS = 60
    record_heartbeat(now=timezone.now() - timedelta(seconds=60))

    status, body = get_health()

    assert status == 200
    assert body["status"] == "ok"
    assert "down" not in body
    assert set(body["checks"]) == {"database", "queue", "worker", "jobs"}
    assert body["checks"]["database"] == {"status": "ok", "vendor": connection.vendor}
    assert body["checks"]["queue"]["status"] == "ok"
    assert body["checks"]["queue"]["pending"] == 0
    worker = body["checks"]["worker"]
    assert worker["status"] == "ok"
    assert worker["max_age_seconds"] == 180
    assert 60 <= worker["age_seconds"] < 180  # the test may run slowly
    assert body["checks"]["jobs"] == {
        "status": "ok",
        "pending": 0,
        "running": 0,
        "failed": 0,
        "oldest_wait_seconds": 0,
        "max_wait_seconds": 600,
    }


def test_needs_no_login_and_is_not_cached():
    record_heartbeat()
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert Client().post("/healthz").status_code == 405


def test_no_heartbeat_yet_is_503_naming_the_worker():
    assert not Heartbeat.objects.exists()

    status, body = get_health()

    assert status == 503
    assert body["status"] == "down"
    assert body["down"] == ["worker"]
    assert body["checks"]["worker"]["status"] == "down"
    assert "no heartbeat" in body["checks"]["worker"]["error"]
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue"]["status"] == "ok"


def test_stale_heartbeat_is_503(settings):
    settings.HEARTBEAT_SECONDS = 10
    record_heartbeat(now=timezone.now() - timedelta(seconds=31))

    status, body = get_health()

    assert status == 503
    assert body["down"] == ["worker"]
    assert body["checks"]["worker"]["max_age_seconds"] == 30
    assert "more than 30 s" in body["checks"]["worker"]["error"]


def test_heartbeat_upsert_keeps_one_row_per_worker():
    first = timezone.now() - timedelta(minutes=5)
    record_heartbeat(now=first)
    record_heartbeat(now=first + timedelta(minutes=1))
    assert list(Heartbeat.objects.values_list("worker", "beat_at")) == [
        ("huey", first + timedelta(minutes=1))
    ]


def test_unreachable_queue_is_503_naming_the_queue(monkeypatch):
    record_heartbeat()
    # Nothing listens on port 1: the Redis client is refused at once.
    monkeypatch.setattr(
        HUEY, "storage", RedisStorage("opportune-test", url="redis://127.0.0.1:1/0")
    )

    status, body = get_health()

    assert status == 503
    assert body["down"] == ["queue"]
    assert body["checks"]["queue"]["status"] == "down"
    assert "ConnectionError" in body["checks"]["queue"]["error"]
    assert body["checks"]["worker"]["status"] == "ok"


def test_database_down_is_503_naming_the_database(monkeypatch):
    record_heartbeat()

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    # Every query fails, as when the database server is gone: the heartbeat cannot be read either.
    monkeypatch.setattr(connection, "cursor", refuse)
    status, body = get_health()
    monkeypatch.undo()

    assert status == 503
    assert body["down"] == ["database", "worker", "jobs"]
    assert body["checks"]["database"] == {
        "status": "down",
        "error": "OperationalError: connection refused",
    }
    assert body["checks"]["queue"]["status"] == "ok"


def job_waiting_since(seconds: float, **changes) -> int:
    job_id = enqueue_job("tests.note", marker="waiting")
    Job.objects.filter(pk=job_id).update(
        run_after=timezone.now() - timedelta(seconds=seconds), **changes
    )
    return job_id


def test_jobs_are_counted_and_a_short_wait_is_ok(settings):
    settings.JOB_MAX_WAIT_SECONDS = 600
    record_heartbeat()
    job_waiting_since(30)
    job_waiting_since(-60)  # a retry not due yet does not wait
    Job.objects.filter(pk=job_waiting_since(0)).update(status="failed")
    Job.objects.filter(pk=job_waiting_since(0)).update(status="done")
    lease = timezone.now() + timedelta(seconds=100)
    Job.objects.filter(pk=job_waiting_since(0)).update(status="running", lease_until=lease)

    status, body = get_health()

    assert status == 200, body
    jobs = body["checks"]["jobs"]
    assert (jobs["status"], jobs["pending"], jobs["running"], jobs["failed"]) == ("ok", 2, 1, 1)
    assert 30 <= jobs["oldest_wait_seconds"] < 40


def test_a_job_waiting_too_long_is_503_naming_the_jobs(settings):
    settings.JOB_MAX_WAIT_SECONDS = 60
    record_heartbeat()
    job_waiting_since(61)

    status, body = get_health()

    assert status == 503
    assert body["down"] == ["jobs"]
    jobs = body["checks"]["jobs"]
    assert (jobs["status"], jobs["pending"], jobs["max_wait_seconds"]) == ("down", 1, 60)
    assert jobs["error"].startswith("a job has been waiting 6")
    assert "is a worker (run_huey) running, and can it reach the queue?" in jobs["error"]


def test_a_job_whose_worker_died_long_ago_is_503(settings):
    """Claimed, and its lease ran out long ago: no sweeper runs (no consumer with a scheduler)."""
    settings.JOB_MAX_WAIT_SECONDS = 60
    record_heartbeat()
    gone = timezone.now() - timedelta(seconds=120)
    job_waiting_since(0, status="running", lease_until=gone)

    status, body = get_health()

    assert status == 503
    assert body["down"] == ["jobs"]
    assert body["checks"]["jobs"]["running"] == 1
    assert 120 <= body["checks"]["jobs"]["oldest_wait_seconds"] < 130
