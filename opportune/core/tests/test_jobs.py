"""The job queue for real (not in-process): a durable job is recorded in the transaction and
queued on commit, nothing on rollback; a worker runs it once, and writes the heartbeat. On SqliteHuey in a temporary file always, and on Redis when
REDIS_URL is set (``make test PYTEST_ARGS="-m redis"``)."""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from huey.storage import RedisStorage

from opportune.core.jobs import enqueue_job, run_job
from opportune.core.models import Heartbeat, Job
from opportune.core.queue import QueueStorage, SqliteQueue
from opportune.core.tasks import heartbeat, ping
from opportune.testing import notes, real_queue

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


@contextmanager
def running_consumer(huey):
    """Huey's own consumer (one worker thread and the scheduler), as ``run_huey`` starts it."""
    handlers = {
        sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    consumer = huey.create_consumer(
        workers=1,
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        max_delay=0.2,
        check_worker_health=False,
    )
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def sqlite_storage(tmp_path):
    return QueueStorage("opportune-test", filename=str(tmp_path / "huey.sqlite3"))


def redis_storage(url):
    return RedisStorage(f"opportune-test-{os.getpid()}", url=url)


# --- the checks, shared by both backends --------------------------------------------------------
def check_enqueue_job_on_commit_and_rollback(huey):
    with transaction.atomic():
        job_id = enqueue_job("tests.note", marker="hello")
        assert huey.pending_count() == 0  # not before the commit
        assert Job.objects.get(pk=job_id).status == Job.Status.PENDING  # in the transaction
    assert huey.pending_count() == 1

    with pytest.raises(Boom), transaction.atomic():
        enqueue_job("tests.note", marker="never")
        raise Boom
    assert huey.pending_count() == 1  # the rolled back one was never queued, nor recorded
    assert list(Job.objects.values_list("pk", "name", "args", "status", "attempts")) == [
        (job_id, "tests.note", {"marker": "hello"}, "pending", 0)
    ]
    queued = huey.pending()
    # only its id, and its name (the claim is then one statement)
    assert [(t.name, t.args) for t in queued] == [("core.run_job", (job_id, "tests.note"))]

    # What a worker does with it: take it off the queue and run it, once.
    assert huey.execute(huey.dequeue()) is None  # nothing for Huey's result store to keep
    assert huey.pending_count() == 0
    assert huey.result_count() == 0
    job = Job.objects.get()
    assert (job.status, job.attempts, job.lease_until, job.last_error) == ("done", 1, None, "")
    assert notes("hello") == 1
    assert run_job(job_id) == "skipped"  # a second delivery of the same id does nothing
    assert notes("hello") == 1


def check_heartbeat_task(huey):
    before = timezone.now()
    huey.enqueue(heartbeat.s())
    assert not Heartbeat.objects.exists()

    huey.execute(huey.dequeue())

    beat = Heartbeat.objects.get()
    assert beat.worker == "huey"
    assert before <= beat.beat_at <= timezone.now()


def check_consumer_runs_tasks_and_beats(huey):
    before = timezone.now()
    with running_consumer(huey):
        answer = ping("from the consumer").get(blocking=True, timeout=15)
        job_id = enqueue_job("tests.note", marker="consumed")
        deadline = time.monotonic() + 15
        while Job.objects.get(pk=job_id).status != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
    assert answer == "from the consumer"
    assert Job.objects.get(pk=job_id).status == "done"
    assert notes("consumed") == 1
    beat = Heartbeat.objects.get(worker="huey")  # written at start-up and by the periodic task
    assert before - timedelta(seconds=1) <= beat.beat_at <= timezone.now()


# --- SqliteHuey in a temporary file -------------------------------------------------------------
# (Few tests, each doing much: a transactional test empties every table afterwards, which is slow.)
def test_sqlite_queue_enqueues_on_commit_and_runs_the_heartbeat(tmp_path):
    with real_queue(sqlite_storage(tmp_path)) as huey:
        check_enqueue_job_on_commit_and_rollback(huey)
        check_heartbeat_task(huey)
        enqueue_job("tests.note", marker="now")  # outside a transaction: queued at once
        assert huey.pending_count() == 1


def test_the_sqlite_queue_is_in_wal_mode_and_does_not_sync_each_message(tmp_path, settings):
    if not settings.REDIS_URL:  # the queue of `make run`
        assert settings.HUEY["huey_class"] == "opportune.core.queue.SqliteQueue"
    storage = SqliteQueue("opportune-test", filename=str(tmp_path / "huey.sqlite3")).storage
    assert isinstance(storage, QueueStorage)
    assert storage.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert storage.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL (FULL: 2)


def test_sqlite_queue_consumer_runs_tasks_and_beats(tmp_path):
    with real_queue(sqlite_storage(tmp_path)) as huey:
        check_consumer_runs_tasks_and_beats(huey)


# --- RedisHuey ------------------------------------------------------------------------------------
# Skipped at collection (before any database is set up) when there is no Redis to talk to.
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="REDIS_URL is not set: the Redis job-queue tests need a Redis server "
    '(REDIS_URL=redis://127.0.0.1:6379/15 make test PYTEST_ARGS="-m redis")',
)


@pytest.mark.redis
@needs_redis
def test_redis_queue_enqueues_on_commit_and_runs_the_heartbeat():
    with real_queue(redis_storage(os.environ["REDIS_URL"])) as huey:
        check_enqueue_job_on_commit_and_rollback(huey)
        check_heartbeat_task(huey)


@pytest.mark.redis
@needs_redis
def test_redis_queue_consumer_runs_tasks_and_healthz_is_ok(client):
    with real_queue(redis_storage(os.environ["REDIS_URL"])) as huey:
        check_consumer_runs_tasks_and_beats(huey)
        with running_consumer(huey):
            response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["queue"]["backend"] == "RedisStorage"
