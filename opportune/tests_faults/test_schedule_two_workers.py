"""The schedule with two real workers: each periodic job is enqueued once per period, not once
per worker, and each of its jobs runs exactly once.

Real processes: two of the project's consumers (``run_huey``, 2 worker threads each, with the
every-minute job of ``opportune.tests_faults.scheduled_jobs``) on one Redis queue of the test's
own name, both on the test database (a file on SQLite, see conftest.py). Each worker dispatches
when it starts and at every minute of its scheduler; the test waits for two periods (about 60 s
of real time: Huey's periodic tasks tick by the minute) and then counts jobs, notes and ticks."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from huey.storage import RedisStorage

from opportune.core.models import Job, ScheduleState
from opportune.testing import notes, real_queue
from opportune.tests_faults.helpers import child_env, consumer, database_url, running, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# Declared in the consumers only (opportune.tests_faults.scheduled_jobs): not in this process,
# whose schedule other tests read.
EVERY_MINUTE = "tests.every_minute"
TICK = "dispatch_scheduled_jobs"


def ticks(log_text: str) -> int:
    """How many times this consumer's scheduler put the dispatcher on the queue."""
    return len(re.findall(rf"Enqueueing periodic task .*{TICK}", log_text))


def dispatches_run(*logs: str) -> int:
    """How many dispatcher tasks the workers of both consumers ran to the end."""
    return sum(len(re.findall(rf"{TICK}: \S+ executed in", text)) for text in logs)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_two_workers_enqueue_each_period_once_and_run_each_job_once(tmp_path):
    name = f"opportune-schedule-{os.getpid()}"  # not the queue of another run on the same Redis
    # The job has been known for an hour: the workers' first dispatch enqueues the current minute.
    ScheduleState.objects.create(name=EVERY_MINUTE, first_seen=timezone.now() - timedelta(hours=1))
    env = child_env(
        tmp_path / "var",
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=os.environ["REDIS_URL"],
        HUEY_NAME=name,
        FAULTS_SCHEDULE="1",
    )
    jobs = Job.objects.filter(name=EVERY_MINUTE).order_by("key")
    logs = [tmp_path / "consumer-1.log", tmp_path / "consumer-2.log"]
    with (
        real_queue(RedisStorage(name, url=env["REDIS_URL"])),
        running(consumer(env, logs[0])),
        running(consumer(env, logs[1])),
    ):
        # Two periods: the minute the workers started in, and the next (each scheduler ticks
        # again 60 s after its start); each of those 2 x 2 ticks has run its dispatch.
        wait_for(
            lambda: (
                jobs.filter(status=Job.Status.DONE).count() >= 2
                and dispatches_run(*(log.read_text() for log in logs)) >= 4
            ),
            timeout=100,
            what="two periods' jobs done and both workers' second dispatch run",
            every=0.5,
        )
        texts = [log.read_text() for log in logs]
        found = list(jobs.values_list("key", "args", "status", "attempts"))

    # Every tick of both workers dispatched (at start, and a minute later) ...
    assert [ticks(text) >= 2 for text in texts] == [True, True], texts
    # ... yet each period has one job, for its slot, run once (one attempt, one note), and the
    # periods are consecutive minutes (two, or three when the workers started astride a minute).
    slots = [args["scheduled_for"] for _key, args, _status, _attempts in found]
    assert found == [
        (f"schedule:{EVERY_MINUTE}:{slot}", {"scheduled_for": slot}, "done", 1) for slot in slots
    ]
    assert len(slots) in (2, 3), slots
    minutes = [datetime.fromisoformat(slot) for slot in slots]
    assert all(m.tzinfo == UTC and m.second == 0 for m in minutes), slots
    assert [b - a for a, b in zip(minutes, minutes[1:], strict=False)] == [timedelta(minutes=1)] * (
        len(minutes) - 1
    )
    assert [notes(f"every minute {slot}") for slot in slots] == [1] * len(slots)
    # Of all the ticks (startup dispatches included), exactly one enqueued each slot. Read from
    # the logs of the stopped workers (a dispatcher logs after its commit, by which time the
    # other worker may have run the job); a line lists every job it enqueued (the app's
    # every-minute reminders too), in no set order.
    final = "".join(log.read_text() for log in logs)
    keys = [
        key
        for line in re.findall(r"Schedule: enqueued (.*)", final)
        for key in line.strip().split(", ")
    ]
    prefix = f"schedule:{EVERY_MINUTE}:"
    enqueued = [key.removeprefix(prefix) for key in keys if key.startswith(prefix)]
    assert sorted(enqueued) == slots
    state = ScheduleState.objects.get(name=EVERY_MINUTE)
    assert state.last_slot == minutes[-1]
