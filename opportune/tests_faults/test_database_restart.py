"""PostgreSQL restarted under a write load: no acknowledged write is lost, a request the
database could not serve is a clean 503 in JSON that wrote nothing, and the same gunicorn (not
restarted, the same workers) serves writes again as soon as the database is back.

Real processes: a PostgreSQL cluster of the test's own (initdb as the postgres user, its own
port; the shared cluster is never touched), the app migrated into it, gunicorn in front, and
writer threads creating leads through the API with a token while the server is stopped
(``pg_ctl stop -m fast``: every connection dropped) and, 1.5 s later, started again."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import psycopg
import pytest

from opportune.tests_faults.helpers import (
    child_env,
    children,
    free_port,
    gunicorn,
    http,
    manage,
    own_postgres,
    running,
    wait_for,
)

pytestmark = pytest.mark.faults

WRITERS = 8
MAX_WRITES = 1500  # at most, and for at most MAX_SECONDS
MAX_SECONDS = 40
RESTART_AFTER = 40  # acknowledged writes before the database is killed
OUTAGE_SECONDS = 1.5
WRITE_ON_FOR = 3  # seconds of writing once the database is back


# Migrate, a user, its API token (printed): in one process, as each start of Django costs.
SET_UP = """
from django.contrib.auth import get_user_model
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
get_user_model().objects.create_superuser("writer", "writer@example.com", None)
call_command("create_api_token", "writer")
"""


class WriteLoad:
    """Writer threads creating leads named ``Fault lead NNNN``, each answer recorded."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.answers: list[tuple[str, int, Any]] = []  # (lead name, status, body)
        self.lock = threading.Lock()
        self.numbers = itertools.count()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.deadline = time.monotonic() + MAX_SECONDS

    def write(self) -> None:
        try:
            self._write()
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
            raise

    def _write(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            number = next(self.numbers)
            if number >= MAX_WRITES:
                return
            lead_name = f"Fault lead {number:04d}"
            status, _headers, body = http(
                "POST", f"{self.base}/api/v1/leads", body={"lead_name": lead_name}, token=self.token
            )
            with self.lock:
                self.answers.append((lead_name, status, body))
            if status != 201:
                time.sleep(0.2)  # as a client told to retry later would

    def acknowledged(self) -> dict[str, str]:
        with self.lock:
            return {lead: body["name"] for lead, status, body in self.answers if status == 201}


def test_postgresql_restarted_under_writes_loses_no_acknowledged_write(tmp_path):
    with own_postgres() as pg:
        with psycopg.connect(pg.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE opportune")
        env = child_env(tmp_path / "var", DATABASE_URL=pg.url("opportune"))
        token = manage("shell", "--no-imports", "-c", SET_UP, env=env, timeout=240).split()[-1]
        pg.stop("fast")  # set up: from now on, PostgreSQL's durable defaults (fsync on)
        pg.start()
        port = free_port()
        base = f"http://127.0.0.1:{port}"

        with running(gunicorn(env, port, tmp_path / "gunicorn.log")) as web:
            wait_for(
                lambda: http("GET", f"{base}/healthz")[0] in (200, 503), timeout=60, what="gunicorn"
            )
            workers = wait_for(lambda: children(web.pid), timeout=10, what="gunicorn's workers")

            load = WriteLoad(base, token)
            threads = [threading.Thread(target=load.write) for _ in range(WRITERS)]
            for thread in threads:
                thread.start()
            try:
                wait_for(
                    lambda: len(load.acknowledged()) >= RESTART_AFTER, timeout=30, what="writes"
                )
                pg.stop("fast")  # every connection dropped ("terminating connection ...")
                time.sleep(OUTAGE_SECONDS)
                pg.start()
                back = len(load.answers)
                time.sleep(WRITE_ON_FOR)
            finally:
                load.stop.set()
                for thread in threads:
                    thread.join(timeout=60)

            assert not load.errors, load.errors
            # The same gunicorn, with the same workers, serves writes again.
            after = [
                http("POST", f"{base}/api/v1/leads", body={"lead_name": f"After {n}"}, token=token)
                for n in range(10)
            ]
            assert [status for status, _h, _b in after] == [201] * 10, after
            assert web.alive()
            assert children(web.pid) == workers  # no worker died or was replaced
            health = http("GET", f"{base}/healthz")[2]
            assert health["checks"]["database"]["status"] == "ok", health

        with psycopg.connect(pg.url("opportune")) as db:
            rows = db.execute(
                "SELECT lead_name, name FROM crm_lead WHERE lead_name LIKE 'Fault lead %'"
            ).fetchall()
            created: dict[str, int] = dict(
                db.execute(
                    "SELECT lead_name, count(*) FROM crm_historicallead"
                    " WHERE history_type = '+' GROUP BY lead_name"
                ).fetchall()
            )

    answers = load.answers
    acknowledged = load.acknowledged()
    failed = [(lead, status, body) for lead, status, body in answers if status != 201]
    stored: dict[str, str] = dict(rows)
    print(
        f"\n{len(answers)} writes: {len(acknowledged)} acknowledged, {len(failed)} refused "
        f"during the outage, {len(answers) - back} answered after it"
    )

    # The outage was felt, and the writes went on after it.
    assert failed, "no write met the outage: the test proved nothing"
    assert any(status == 201 for _lead, status, _body in answers[back:]), "no write after it"
    # Every acknowledged write is there, once, under the name it was answered with.
    assert len(rows) == len(stored)
    assert {lead: stored.get(lead) for lead in acknowledged} == acknowledged
    # Every refusal was a clean 503 in the API's JSON error format.
    for lead, status, body in failed:
        assert status == 503, (lead, status, body)
        assert body["error"]["code"] == "service_unavailable", body
    # No half write: a stored lead is one the load sent, with its history; the refused ones
    # were not written (a commit whose answer was lost would show here as refused but stored).
    assert set(stored) <= {lead for lead, _s, _b in answers}
    assert all(created.get(lead) == 1 for lead in stored), created
    assert not set(stored) & {lead for lead, _s, _b in failed}
