"""Redis down: pages and API writes still answer, jobs queued meanwhile wait in the database
(the ledger) and /healthz answers 503 naming the queue, never silently; once Redis and a worker
are back, each of those jobs is done exactly once.

Real processes: a redis-server of the test's own on a free port (killed, then started again on
the same port), and the project's consumer (``run_huey``) with REDIS_URL pointing at it, on the
test database (a file on SQLite, see conftest.py)."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from huey.storage import RedisStorage

from opportune.core.jobs import enqueue_job, record_heartbeat
from opportune.core.models import Job
from opportune.crm.models import Lead
from opportune.testing import ApiClient, client_for, notes, real_queue
from opportune.tests_faults.helpers import (
    child_env,
    consumer,
    database_url,
    own_redis,
    running,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_with_redis_down_jobs_wait_in_the_database_then_run_once(tmp_path, sales):
    markers = [f"queued while Redis was down {n}" for n in range(3)]
    jobs = Job.objects.order_by("pk")
    with own_redis(tmp_path / "redis.log") as redis:
        name = f"opportune-faults-{os.getpid()}"
        with real_queue(RedisStorage(name, url=redis.url)):
            record_heartbeat()  # a worker was alive a moment ago
            redis.kill()

            # Pages and writes answer as ever.
            page = client_for(sales)
            assert page.get("/").status_code == 200
            assert page.get(reverse("crm:opportunity_list")).status_code == 200
            r = ApiClient(sales).post("leads", {"lead_name": "Written while Redis is down"})
            assert r.status_code == 201, r.content
            assert Lead.objects.filter(lead_name="Written while Redis is down").count() == 1
            # Jobs queued as a service queues them: no error, each waits in the ledger.
            for marker in markers:
                with transaction.atomic():
                    enqueue_job("tests.note", marker=marker)
            assert (
                list(jobs.values_list("status", "attempts", "handed_at"))
                == [("pending", 0, None)] * 3
            )

            # Loudly: /healthz names the queue at once, and the jobs once they wait too long.
            r = Client().get("/healthz")
            assert r.status_code == 503
            assert r.json()["down"] == ["queue"]
            assert "ConnectionError" in r.json()["checks"]["queue"]["error"]
            assert r.json()["checks"]["jobs"]["pending"] == 3
            jobs.update(run_after=timezone.now() - timedelta(minutes=11))
            r = Client().get("/healthz")
            assert (r.status_code, r.json()["down"]) == (503, ["queue", "jobs"])

            # Redis back, a worker started: its sweep hands the waiting jobs, each runs once.
            redis.start()
            env = child_env(
                tmp_path / "var",
                DATABASE_URL=database_url(connection.settings_dict),
                REDIS_URL=redis.url,
                HUEY_NAME=name,
            )
            with running(consumer(env, tmp_path / "consumer.log")):
                wait_for(
                    lambda: not jobs.exclude(status="done").exists(),
                    timeout=60,
                    what="the jobs queued while Redis was down to be done",
                )
                time.sleep(1.5)  # a duplicate would have run by now
                r = Client().get("/healthz")

    assert [notes(marker) for marker in markers] == [1, 1, 1]
    assert list(jobs.values_list("status", "attempts")) == [("done", 1)] * 3
    assert r.status_code == 200, r.json()
