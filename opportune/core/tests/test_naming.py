"""Naming series under real concurrency (PostgreSQL): never the same name twice, no create
waiting for another's name; a gap only where a create rolled back (decision 0040)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest
from django.db import connection, transaction

from opportune.core.models import NamingSeries, naming_rehearsal
from opportune.testing import THREADS, run_in_threads

PER_THREAD = 25
WHEN = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer): "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_next_name_hands_out_distinct_consecutive_names():
    def work(_thread_no: int) -> list[str]:
        got = []
        for _ in range(PER_THREAD):
            with transaction.atomic():
                got.append(NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN))
        return got

    names = run_in_threads(work)

    expected = [f"CRM-OPP-2026-{n:05d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert sorted(names) == expected
    assert NamingSeries.objects.get(prefix="CRM-OPP-2026-").current == THREADS * PER_THREAD


@pytest.mark.django_db(transaction=True)
def test_a_create_does_not_wait_for_another_that_took_a_name():
    """One writer takes a name and keeps its transaction open; another takes the next name and
    commits at once (before decision 0040 it waited on the series' row lock to the end)."""
    with transaction.atomic():
        NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN)  # the sequence is made and committed
    took, release = threading.Event(), threading.Event()

    def work(thread_no: int) -> list[str]:
        if thread_no == 0:
            with transaction.atomic():
                name = NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN)
                took.set()
                assert release.wait(15)
            return [name]
        assert took.wait(15)
        if thread_no == 1:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # a wait fails the test
                name = NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN)
            release.set()
            return [name]
        return []

    names = run_in_threads(work)

    assert release.is_set()
    assert sorted(names) == ["CRM-OPP-2026-00002", "CRM-OPP-2026-00003"]
    # the counter row follows the sequence once each commits
    assert NamingSeries.objects.get(prefix="CRM-OPP-2026-").current == 3


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_name_is_not_handed_out_again_nor_a_rehearsed_one_used_up():
    with transaction.atomic():
        assert NamingSeries.next_name("QTN-.YYYY.-", WHEN) == "QTN-2026-00001"
    with naming_rehearsal():  # an import's dry run: the next names, not taken
        assert NamingSeries.next_names("QTN-.YYYY.-", 2, WHEN) == [
            "QTN-2026-00002",
            "QTN-2026-00003",
        ]
    with pytest.raises(RuntimeError), transaction.atomic():
        assert NamingSeries.next_name("QTN-.YYYY.-", WHEN) == "QTN-2026-00002"
        raise RuntimeError("rolled back")
    # a gap where the rolled-back create was: never the same name twice
    assert NamingSeries.next_name("QTN-.YYYY.-", WHEN) == "QTN-2026-00003"


@pytest.mark.django_db(transaction=True)
def test_names_written_from_elsewhere_move_the_series_on():
    with transaction.atomic():
        assert NamingSeries.next_name("CONT-.YYYY.-", WHEN) == "CONT-2026-00001"
    NamingSeries.move_past("CONT-2026-", 40)  # an import kept its source's names up to 40
    assert NamingSeries.next_name("CONT-.YYYY.-", WHEN) == "CONT-2026-00041"
    NamingSeries.move_past("CONT-2026-", 10)  # never back
    assert NamingSeries.next_name("CONT-.YYYY.-", WHEN) == "CONT-2026-00042"


@pytest.mark.django_db(transaction=True)
def test_numbers_taken_from_the_counter_alone_are_not_handed_out_again():
    """An older version, or one node of a rolling upgrade, takes numbers from the counter row
    without the sequence: the sequence moves past them at its next number."""
    with transaction.atomic():
        assert NamingSeries.next_name("LEAD-.YYYY.-", WHEN) == "LEAD-2026-00001"
    NamingSeries.objects.filter(prefix="LEAD-2026-").update(current=7)  # what such code does
    with transaction.atomic():
        assert NamingSeries.next_names("LEAD-.YYYY.-", 2, WHEN) == [
            "LEAD-2026-00008",
            "LEAD-2026-00009",
        ]


@pytest.mark.django_db(transaction=True)
def test_a_counter_that_cannot_follow_leaves_the_committed_name_standing(caplog):
    """The counter's follow-up write runs after the commit; when the database refuses it
    (here a lock it may not wait for), the name taken stands, the failure is logged, and the
    next name's follow-up puts the counter right."""
    prefix = "CRM-OPP-2026-"
    with transaction.atomic():
        assert NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN) == f"{prefix}00001"
    blocker = psycopg.connect(**connection.get_connection_params())
    try:
        blocker.execute("SELECT 1 FROM core_namingseries WHERE prefix = %s FOR UPDATE", [prefix])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '50ms'")
        with transaction.atomic():  # before the fix: AttributeError out of the commit
            name = NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN)
    finally:
        blocker.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert name == f"{prefix}00002"
    assert "Error calling NamingSeries._follow" in caplog.text
    assert NamingSeries.objects.get(prefix=prefix).current == 1  # behind, for now
    with transaction.atomic():
        assert NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN) == f"{prefix}00003"
    assert NamingSeries.objects.get(prefix=prefix).current == 3
