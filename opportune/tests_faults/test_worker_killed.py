"""A worker killed (SIGKILL) in the middle of a job: after a restart the job is done exactly
once, its first attempt's uncommitted write gone with the worker.

Real processes: the project's consumer (``run_huey``, with the test jobs of opportune.testing)
on a real queue, the SQLite file by default and RedisHuey with ``-m redis``; the test database
(a file on SQLite, see conftest.py) shared with it."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from huey.storage import RedisStorage, SqliteStorage

from opportune.core.jobs import enqueue_job
from opportune.core.models import Job
from opportune.testing import notes, real_queue
from opportune.tests_faults.helpers import child_env, consumer, database_url, running, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3


def job_state(job_id: int) -> tuple[str, int]:
    return Job.objects.filter(pk=job_id).values_list("status", "attempts").get()


def kill_a_worker_in_the_middle_of_a_job(tmp_path, storage, env: dict[str, str]) -> None:
    marker = "killed-mid-job"
    hold, started = tmp_path / "hold", tmp_path / "started"
    hold.touch()
    with real_queue(storage):
        with transaction.atomic():
            job_id = enqueue_job(
                "tests.note", marker=marker, hold_file=str(hold), started_file=str(started)
            )

        with running(consumer(env, tmp_path / "consumer-1.log")) as first:
            wait_for(started.exists, timeout=60, what="the first worker to be in the job")
            assert job_state(job_id) == ("running", 1)
            first.kill(signal.SIGKILL)  # in the middle of the job, its transaction open
            assert first.popen.returncode == -signal.SIGKILL
        assert job_state(job_id) == ("running", 1)
        assert notes(marker) == 0  # its write was never committed

        hold.unlink()  # the next attempt does not wait
        wait_for(
            lambda: Job.objects.filter(pk=job_id, lease_until__lt=timezone.now()).exists(),
            timeout=LEASE_SECONDS + 5,
            what="the killed worker's lease to run out",
        )
        with running(consumer(env, tmp_path / "consumer-2.log")):
            # The new worker's sweep (when it starts) gives the job back; a worker runs it.
            wait_for(lambda: job_state(job_id)[0] == "done", timeout=60, what="the job done")
            time.sleep(1.5)  # what else it would do (a duplicate), it would have done now

    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.lease_until) == ("done", 2, None)
    assert job.last_error.endswith("the worker stopped during attempt 1.")
    assert notes(marker) == 1  # exactly once


def consumer_env(tmp_path, **queue) -> dict[str, str]:
    return child_env(
        tmp_path / "var",
        DATABASE_URL=database_url(connection.settings_dict),
        JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        JOB_RETRY_SECONDS="1",
        **queue,
    )


def test_a_killed_worker_s_job_is_done_once_on_the_sqlite_queue(tmp_path):
    env = consumer_env(tmp_path)
    storage = SqliteStorage("opportune", filename=env["HUEY_SQLITE_PATH"])
    kill_a_worker_in_the_middle_of_a_job(tmp_path, storage, env)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_a_killed_worker_s_job_is_done_once_on_redis(tmp_path):
    name = f"opportune-faults-{os.getpid()}"  # not the queue of another run on the same Redis
    env = consumer_env(tmp_path, REDIS_URL=os.environ["REDIS_URL"], HUEY_NAME=name)
    kill_a_worker_in_the_middle_of_a_job(tmp_path, RedisStorage(name, url=env["REDIS_URL"]), env)
