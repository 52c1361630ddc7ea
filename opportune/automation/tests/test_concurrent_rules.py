"""Assignment under concurrency (PostgreSQL): eight opportunities created at the same moment under
a round-robin rule of four users go two to each (each create takes its own turn from the rule's
sequence, decision 0035), a create never waits for another create's open transaction to take
its turn, and the database refuses a second open rule assignment on one document."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction

from opportune.accounts.roles import SALES_MANAGER, SALES_USER
from opportune.automation.models import Assignment, AssignmentRule
from opportune.crm import services as crm
from opportune.testing import THREADS, make_rota, make_user, run_in_threads

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer): "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test",
)
MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _no_turn_sequences_left(django_db_setup, django_db_blocker):
    """A flush between these tests leaves sequences; a rule made at the same frozen moment
    under the same name would go on counting from the last test's."""

    def drop() -> None:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT sequencename FROM pg_sequences "
                "WHERE sequencename LIKE 'automation_rule_turn_%%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")

    drop()
    yield
    drop()


def per_user() -> Counter[str]:
    open_rows = Assignment.objects.filter(status="Open", assignment_rule="Rota")
    return Counter(open_rows.values_list("allocated_to__username", flat=True))


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MONDAY, tick=False)
def test_round_robin_under_concurrent_creation():
    assert THREADS == 8
    boss = make_user("boss", SALES_MANAGER, SALES_USER)
    make_rota(boss, "status", "Open")
    customer = crm.create_customer(data={"customer_name": "Busy Ltd"}, by=boss)

    def work(thread_no: int) -> list[str]:
        by = User.objects.get(pk=boss.pk)
        data = {"opportunity_from": "Customer", "party_name": customer.name}
        return [crm.create_opportunity(data=data, by=by).name]

    names = run_in_threads(work)

    assert len(set(names)) == THREADS
    open_rows = Assignment.objects.filter(status="Open", assignment_rule="Rota")
    assert per_user() == {"rota0": 2, "rota1": 2, "rota2": 2, "rota3": 2}
    per_document = Counter(open_rows.values_list("reference_name", flat=True))
    assert sorted(per_document) == sorted(names)
    assert set(per_document.values()) == {1}
    assert AssignmentRule.objects.values_list("last_user__username", flat=True).get() == "rota3"
    # the constraint: a second open rule assignment on one document is refused by the database
    first = open_rows.first()
    assert first is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            reference_type="Opportunity",
            reference_name=first.reference_name,
            allocated_to=boss,
            assignment_rule="Rota",
        )


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MONDAY, tick=False)
def test_round_robin_under_concurrent_updates():
    """Changes of eight different opportunities at the same moment: each takes its own turn."""
    boss = make_user("boss", SALES_MANAGER, SALES_USER)
    customer = crm.create_customer(data={"customer_name": "Busy Ltd"}, by=boss)
    data = {"opportunity_from": "Customer", "party_name": customer.name, "title": "cold"}
    deals = [crm.create_opportunity(data=data, by=boss) for _ in range(THREADS)]
    make_rota(boss, "title", "hot")

    def work(thread_no: int) -> list[str]:
        by = User.objects.get(pk=boss.pk)
        deal = deals[thread_no]
        return [crm.update_opportunity(deal, data={"title": "hot"}, version=1, by=by).name]

    assert len(set(run_in_threads(work))) == THREADS
    assert per_user() == {"rota0": 2, "rota1": 2, "rota2": 2, "rota3": 2}


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MONDAY, tick=False)
def test_rotation_stays_even_over_many_concurrent_creates():
    """Three creates in each of eight threads at once: 24 turns over four users, six each, every
    reason naming the user before in the list, and the rule shows the last turn's user."""
    boss = make_user("boss", SALES_MANAGER, SALES_USER)
    make_rota(boss, "status", "Open")
    customer = crm.create_customer(data={"customer_name": "Busy Ltd"}, by=boss)

    def work(thread_no: int) -> list[str]:
        by = User.objects.get(pk=boss.pk)
        data = {"opportunity_from": "Customer", "party_name": customer.name}
        return [crm.create_opportunity(data=data, by=by).name for _ in range(3)]

    names = run_in_threads(work)

    assert len(set(names)) == 3 * THREADS
    assert per_user() == {"rota0": 6, "rota1": 6, "rota2": 6, "rota3": 6}
    before = {"rota0": "rota3", "rota1": "rota0", "rota2": "rota1", "rota3": "rota2"}
    for user, reason in Assignment.objects.filter(assignment_rule="Rota").values_list(
        "allocated_to__username", "reason"
    ):
        assert reason in (f"Round Robin, after {before[user]}", "Round Robin, first in the list")
    rule = AssignmentRule.objects.values_list("turns", "last_user__username").get()
    assert rule == (24, "rota3")


@pytest.mark.django_db(transaction=True)
@time_machine.travel(MONDAY, tick=False)
def test_a_create_does_not_wait_for_another_that_took_a_turn():
    """One writer takes a turn and keeps its transaction open; a create meanwhile takes the next
    turn and commits at once (before decision 0035 it waited on the rule's row lock)."""
    boss = make_user("boss", SALES_MANAGER, SALES_USER)
    customer = crm.create_customer(data={"customer_name": "Busy Ltd"}, by=boss)
    data = {"opportunity_from": "Customer", "party_name": customer.name, "title": "cold"}
    held = crm.create_opportunity(data=data, by=boss)
    make_rota(boss, "status", "Open")
    warm = crm.create_opportunity(data=data, by=boss)  # the rule's first turn makes its sequence
    took_turn, release = threading.Event(), threading.Event()

    def work(thread_no: int) -> list[str]:
        by = User.objects.get(pk=boss.pk)
        if thread_no == 0:  # changes an opportunity the rule now takes, and holds on
            with transaction.atomic():
                crm.update_opportunity(held, data={"title": "warm"}, version=1, by=by)
                took_turn.set()
                assert release.wait(15)
            return [held.name]
        assert took_turn.wait(15)
        if thread_no == 1:
            new = {"opportunity_from": "Customer", "party_name": customer.name}
            made = crm.create_opportunity(data=new, by=by).name  # would block here before
            release.set()
            return [made]
        return []

    names = run_in_threads(work)

    assert release.is_set() and len(names) == 2
    holders = dict(
        Assignment.objects.filter(assignment_rule="Rota").values_list(
            "reference_name", "allocated_to__username"
        )
    )
    made = names[1 - names.index(held.name)]
    assert holders == {warm.name: "rota0", held.name: "rota1", made: "rota2"}
    rule = AssignmentRule.objects.values_list("turns", "last_user__username").get()
    assert rule == (3, "rota2")
