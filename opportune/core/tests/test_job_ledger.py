"""The durable job ledger (core.jobs), in-process: recorded with the transaction, claimed once,
done with its effects, retried with backoff then failed, released when its worker died, handed
again when the queue never got it, fenced when its lease was lost. Huey is pointed at an
in-memory queue, so each test sees exactly what would be queued. (The same with real worker
processes killed mid-job: opportune/tests_faults.)"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from huey.storage import MemoryStorage, RedisStorage

from opportune.core.jobs import (
    REHAND_AFTER,
    durable_job,
    enqueue_job,
    enqueue_job_once,
    retry_delay,
    retry_failed_jobs,
    run_job,
    sweep_jobs,
)
from opportune.core.models import Comment, Job
from opportune.testing import FLAKY_CALLS, NOTE_DOCTYPE, notes, real_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    with real_queue(MemoryStorage("opportune-ledger-test")) as huey:
        yield huey


@durable_job("tests.overtaken")
def overtaken(*, marker: str) -> None:
    """Writes its note, then finds that the sweeper gave its job to another worker meanwhile."""
    Comment.objects.create(reference_doctype=NOTE_DOCTYPE, reference_name=marker, content=marker)
    Job.objects.filter(name="tests.overtaken").update(attempts=F("attempts") + 1)


def run_queued(huey) -> list[str]:
    """Run what is on the queue as a worker would, delayed tasks as if their time had come.
    (What the worker's task does, called here: Huey's own execution would close the database
    connection, which is the test's transaction.)"""
    outcomes = []
    while (task := huey.dequeue()) is not None:
        assert task.name == "core.run_job"
        outcomes.append(run_job(*task.args))
    return outcomes


def job_row(job_id: int) -> tuple:
    return Job.objects.filter(pk=job_id).values_list("status", "attempts", "last_error").get()


def test_the_same_key_records_one_job(queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue_job("tests.note", key="welcome:42", marker="a")
        second = enqueue_job("tests.note", key="welcome:42", marker="b")
    assert first == second
    assert list(Job.objects.values_list("key", "args")) == [("welcome:42", {"marker": "a"})]
    assert run_queued(queue) == ["done", "skipped"]  # handed twice, run once
    assert (notes("a"), notes("b")) == (1, 0)


def test_a_job_asked_once_is_handed_once_at_its_time(queue, django_capture_on_commit_callbacks):
    """enqueue_job_once: the first ask adds the job and hands it to run at ``run_after``; an
    ask with the key taken adds nothing and hands nothing, also after the job ran."""
    later = timezone.now().replace(microsecond=0) + timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue_job_once("tests.note", key="bucket:1", run_after=later, marker="a")
        second = enqueue_job_once("tests.note", key="bucket:1", run_after=later, marker="b")
    assert first is not None and second is None
    assert list(Job.objects.values_list("pk", "key", "args", "run_after", "status")) == [
        (first, "bucket:1", {"marker": "a"}, later, "pending")
    ]
    task = queue.dequeue()  # one message, for its time (a worker keeps it in its schedule)
    assert (task.args, task.eta) == ((first, "tests.note"), later.replace(tzinfo=None))
    assert queue.dequeue() is None
    assert run_job(*task.args) == "done"
    with django_capture_on_commit_callbacks(execute=True) as handed:
        assert enqueue_job_once("tests.note", key="bucket:1", marker="c") is None
    assert handed == [] and run_queued(queue) == []
    assert (notes("a"), notes("b"), notes("c")) == (1, 0, 0)


def test_an_unknown_job_name_is_refused():
    with pytest.raises(ValueError, match="No durable job is named 'tests.nope'"):
        enqueue_job("tests.nope", marker="x")
    assert not Job.objects.exists()


def test_a_job_claimed_by_a_worker_is_not_run_by_another(queue):
    job_id = enqueue_job("tests.note", marker="once")
    lease = timezone.now() + timedelta(minutes=5)
    Job.objects.filter(pk=job_id).update(status="running", attempts=1, lease_until=lease)

    assert run_job(job_id) == "skipped"

    assert job_row(job_id) == ("running", 1, "")
    assert notes("once") == 0


def test_a_message_with_the_id_alone_still_runs_its_job_once(queue):
    """A message handed before the job's name travelled with its id (an upgrade with jobs on
    the queue) is claimed by reading the name from the row."""
    job_id = enqueue_job("tests.note", marker="old message")

    assert run_job(job_id) == "done"
    assert run_job(job_id) == "skipped"
    assert run_job(job_id + 1000) == "skipped"  # no such job

    assert job_row(job_id) == ("done", 1, "")
    assert notes("old message") == 1


def test_a_message_whose_name_is_not_the_jobs_runs_nothing(queue):
    job_id = enqueue_job("tests.note", marker="misnamed")

    assert run_job(job_id, "tests.flaky") == "skipped"

    assert job_row(job_id) == ("pending", 0, "")
    assert notes("misnamed") == 0


def test_a_failing_job_is_retried_with_backoff_then_failed(queue, settings):
    settings.JOB_RETRY_SECONDS = 30
    FLAKY_CALLS.pop("always", None)
    job_id = enqueue_job("tests.flaky", marker="always", failures=5)  # max_attempts=3

    before = timezone.now()
    assert run_job(job_id) == "retry"
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.lease_until) == ("pending", 1, None)
    assert job.last_error == "RuntimeError: flaky failure 1 of 5"
    assert before + timedelta(seconds=30) <= job.run_after <= timezone.now() + timedelta(seconds=30)
    assert notes("always") == 0  # its write was rolled back with it
    [again] = queue.pending()  # handed again, to run when its delay is over
    assert again.args == (job_id, "tests.flaky")
    assert again.eta == job.run_after.astimezone(dt.UTC).replace(tzinfo=None)  # Huey's naive UTC
    queue.flush()

    assert run_job(job_id) == "retry"
    assert Job.objects.get(pk=job_id).run_after >= before + timedelta(seconds=60)  # doubled
    assert run_job(job_id) == "failed"
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.last_error) == (
        "failed",
        3,
        "RuntimeError: flaky failure 3 of 5",
    )
    assert job.finished is not None
    assert notes("always") == 0
    assert run_job(job_id) == "skipped"  # failed is final until a person retries it
    assert FLAKY_CALLS["always"] == 3


def test_a_job_that_fails_once_is_done_on_its_retry(queue):
    FLAKY_CALLS.pop("once", None)
    job_id = enqueue_job("tests.flaky", marker="once", failures=1)
    assert run_job(job_id) == "retry"
    assert run_queued(queue) == ["done"]
    assert job_row(job_id) == ("done", 2, "RuntimeError: flaky failure 1 of 1")
    assert notes("once") == 1


def test_retry_delays_double_up_to_an_hour(settings):
    settings.JOB_RETRY_SECONDS = 30
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 1000)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


def test_a_job_whose_worker_died_runs_again(queue, settings):
    settings.JOB_RETRY_SECONDS = 10
    settings.JOB_MAX_ATTEMPTS = 5
    job_id = enqueue_job("tests.note", marker="revived")
    now = timezone.now()
    # The state a killed worker leaves: claimed, its lease over, nothing of its work committed.
    Job.objects.filter(pk=job_id).update(
        status="running", attempts=1, lease_until=now - timedelta(seconds=1)
    )

    assert sweep_jobs(now=now) == {"released": 1, "failed": 0, "handed": 1, "deleted": 0}

    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.run_after) == ("pending", 1, now + timedelta(seconds=10))
    assert job.last_error.startswith("Lease expired at ")
    assert job.last_error.endswith("the worker stopped during attempt 1.")
    assert run_queued(queue) == ["done"]
    assert job_row(job_id)[:2] == ("done", 2)
    assert notes("revived") == 1


def test_a_job_whose_worker_died_at_its_last_attempt_fails(queue, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job_id = enqueue_job("tests.note", marker="dead")
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status="running", attempts=2, lease_until=now - timedelta(seconds=1)
    )
    assert sweep_jobs(now=now)["failed"] == 1
    assert job_row(job_id)[:2] == ("failed", 2)


def test_a_worker_whose_lease_was_taken_commits_nothing(queue):
    job_id = enqueue_job("tests.overtaken", marker="late")

    assert run_job(job_id) == "lease lost"

    assert notes("late") == 0  # rolled back: the attempt now running will write it
    assert job_row(job_id)[:2] == ("running", 1)


def test_the_sweeper_hands_jobs_the_queue_never_got(queue):
    job_id = enqueue_job("tests.note", marker="lost")  # no commit here: never handed
    Job.objects.filter(pk=job_id).update(handed_at=None)
    now = timezone.now()

    assert sweep_jobs(now=now)["handed"] == 1
    assert sweep_jobs(now=now)["handed"] == 0  # just handed: not twice
    assert queue.pending_count() == 1
    # Still not claimed long after: its message was lost (a flushed queue), so again.
    assert sweep_jobs(now=now + REHAND_AFTER + timedelta(seconds=1))["handed"] == 1

    assert run_queued(queue) == ["done", "skipped"]
    assert notes("lost") == 1


def test_a_queue_that_is_down_leaves_the_job_for_the_sweeper(
    django_capture_on_commit_callbacks, caplog
):
    # Nothing listens on port 1: Redis refuses at once.
    with real_queue(MemoryStorage("x")) as huey:
        huey.storage = RedisStorage("opportune-test", url="redis://127.0.0.1:1/0")
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            job_id = enqueue_job("tests.note", marker="waiting")

    job = Job.objects.get(pk=job_id)
    assert (job.status, job.handed_at) == ("pending", None)
    assert f"Job {job_id} could not be put on the queue" in caplog.text


def test_finished_jobs_are_kept_a_week(settings):
    settings.JOB_KEEP_DAYS = 7
    now = timezone.now()
    old, recent, failed = (enqueue_job("tests.note", marker=m) for m in ("old", "new", "f"))
    Job.objects.filter(pk=old).update(status="done", finished=now - timedelta(days=8))
    Job.objects.filter(pk=recent).update(status="done", finished=now - timedelta(days=6))
    Job.objects.filter(pk=failed).update(status="failed", finished=now - timedelta(days=30))

    assert sweep_jobs(now=now)["deleted"] == 1

    assert set(Job.objects.values_list("pk", flat=True)) == {recent, failed}


def test_failed_jobs_are_retried_on_request(queue, django_capture_on_commit_callbacks):
    failed = enqueue_job("tests.note", marker="again")
    done = enqueue_job("tests.note", marker="finished")
    Job.objects.filter(pk=failed).update(status="failed", attempts=5, last_error="Boom")
    Job.objects.filter(pk=done).update(status="done", attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert retry_failed_jobs([failed, done]) == 1

    assert job_row(done)[:2] == ("done", 1)
    assert run_queued(queue) == ["done"]
    assert job_row(failed) == ("done", 1, "Boom")
    assert notes("again") == 1


def test_the_admin_lists_failed_jobs_and_retries_them(admin_client, queue):
    failed = enqueue_job("tests.note", marker="stuck")
    Job.objects.filter(pk=failed).update(
        status="failed", attempts=5, last_error="RuntimeError: SMTP down"
    )
    url = reverse("admin:core_job_changelist")

    r = admin_client.get(url, {"status__exact": "failed"})
    assert r.status_code == 200
    assert list(r.context["cl"].result_list) == [Job.objects.get(pk=failed)]
    assert admin_client.get(reverse("admin:core_job_change", args=[failed])).status_code == 200

    r = admin_client.post(url, {"action": "retry", "_selected_action": [failed]}, follow=True)
    assert r.status_code == 200
    assert "1 failed job(s) will run again." in r.content.decode()
    assert job_row(failed)[:2] == ("pending", 0)
