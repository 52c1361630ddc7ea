"""The PostgreSQL connection. Its health check (core/postgresql, decision 0041): a kept
connection is checked without a round trip, and one the server ended is found unusable. Its
planner's cost of a random read (decision 0044)."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the check is PostgreSQL's: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test",
)


def _last_query_of(pid: int) -> str:
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.django_db(transaction=True)
def test_a_healthy_connection_is_checked_without_a_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last query'")
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    assert connection.is_usable()

    assert _last_query_of(pid) == "SELECT pg_backend_pid()"  # no SELECT 1 was sent


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_unusable_and_replaced():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's goodbye is on its way

    assert not connection.is_usable()

    connection.health_check_done = False  # type: ignore[attr-defined]  # as at a request's start
    connection.close_if_health_check_failed()  # what Django does before its first query
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


@pytest.mark.django_db
def test_the_planner_costs_a_random_read_as_an_ssds():
    """Decision 0044: the list's subqueries probe keys (the currency's precision), not scan."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1
