"""Assignment rules (ERPNEXT_BEHAVIOUR section 7, decision 6): each way of picking, days in the
company's time zone, priority, inactive users, unassign, close and reopen, manual assignment,
the owner field that follows, and the dry run that says what would happen and writes nothing.
Every test runs at a pinned moment (time_machine) or passes ``now``."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from opportune.accounts.roles import SALES_USER
from opportune.automation import services
from opportune.automation.models import Assignment, AssignmentRule
from opportune.core.errors import NotFoundError, ValidationError
from opportune.core.models import Comment
from opportune.crm import services as crm
from opportune.crm.models import CRMSettings, Opportunity
from opportune.notifications.models import Notification
from opportune.testing import make_customer, make_lead, make_opportunity, make_user

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
SUNDAY_EVENING_UTC = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)  # Monday 05:00 in Tokyo


def when(condition_field="status", op="eq", value="Open"):
    return {"match": "all", "conditions": [{"field": condition_field, "op": op, "value": value}]}


def make_rule(by, name="Sales rota", **data):
    values = {
        "name": name,
        "document_type": "Opportunity",
        "assign_condition": when(),
        "rule": "Round Robin",
        "users": ["sales", "sales2", "sales3"],
    }
    values.update(data)
    return services.create_assignment_rule(data=values, by=by)


def holder(document) -> list[tuple[str, str, str | None, str]]:
    rows = Assignment.objects.filter(reference_name=document.pk).order_by("id")
    return list(rows.values_list("allocated_to__username", "status", "assignment_rule", "reason"))


@pytest.fixture
def sales3(db):
    return make_user("sales3", SALES_USER)


@pytest.fixture
def customer(manager):
    return make_customer(manager)


@time_machine.travel(MONDAY, tick=False)
def test_round_robin_takes_turns_and_the_owner_follows(
    manager, sales, sales2, sales3, customer, django_capture_on_commit_callbacks
):
    make_rule(manager)
    with django_capture_on_commit_callbacks(execute=True):  # the rule's last user (PostgreSQL)
        made = [make_opportunity(manager, customer) for _ in range(4)]
    assert [holder(o) for o in made] == [
        [("sales", "Open", "Sales rota", "Round Robin, first in the list")],
        [("sales2", "Open", "Sales rota", "Round Robin, after sales")],
        [("sales3", "Open", "Sales rota", "Round Robin, after sales2")],
        [("sales", "Open", "Sales rota", "Round Robin, after sales3")],
    ]
    rows = Opportunity.objects.filter(pk__in=[o.pk for o in made]).order_by("name")
    owners = list(rows.values_list("opportunity_owner__username", flat=True))
    assert owners == ["sales", "sales2", "sales3", "sales"]
    assert made[1].opportunity_owner == sales2  # the caller's instance follows too
    # the rule ran before the INSERT (decision 0039): one write, one history record, which
    # holds the assignee as the owner
    assert made[1].version == Opportunity.objects.get(pk=made[1].pk).version == 1
    history = made[1].history.values_list("history_type", "opportunity_owner__username")
    assert list(history) == [("+", "sales2")]
    assert AssignmentRule.objects.get().last_user == sales
    timeline = Comment.objects.filter(reference_name=made[2].pk, comment_type="Assigned")
    assert list(timeline.values_list("content", flat=True)) == [
        "Assigned to sales3 by rule Sales rota: Round Robin, after sales2"
    ]
    told = Notification.objects.filter(kind="assignment", reference_name=made[2].pk)
    assert list(told.values_list("user__username", "subject", "link")) == [
        (
            "sales3",
            f"manager assigned Opportunity {made[2].pk} to you",
            f"/crm/opportunities/{made[2].pk}/",
        )
    ]


@time_machine.travel(MONDAY, tick=False)
def test_inactive_users_are_skipped(
    manager, sales, sales2, sales3, customer, django_capture_on_commit_callbacks
):
    rule = make_rule(manager)
    sales2.is_active = False
    sales2.save()
    with django_capture_on_commit_callbacks(execute=True):  # the rule's last user (PostgreSQL)
        first, second = make_opportunity(manager, customer), make_opportunity(manager, customer)
    assert holder(first)[0][0] == "sales"
    assert holder(second)[0][0::3] == (
        "sales3",
        "Round Robin, after sales (skipped inactive sales2)",
    )
    for user in (sales, sales3):
        user.is_active = False
        user.save()
    third = make_opportunity(manager, customer)
    assert holder(third) == []
    outcome = services.dry_run(document_type="Opportunity", name=third.pk, by=manager)
    assert (outcome.action, outcome.rules[0].reason) == (
        "none",
        "assign condition holds, but no active user",
    )
    rule.refresh_from_db()
    assert rule.last_user == sales3


@time_machine.travel(MONDAY, tick=False)
def test_load_balancing_counts_open_assignments(manager, sales, sales2, sales3, customer):
    make_rule(manager, rule="Load Balancing")
    busy = make_opportunity(manager, customer, opportunity_type="Maintenance")  # no rule takes it
    services.assign(busy, user=sales, by=manager)  # by hand: counted too
    made = [make_opportunity(manager, customer) for _ in range(3)]
    assert [holder(o)[0][0::3] for o in made] == [
        ("sales2", "Load Balancing, fewest open: 0"),  # tie of sales2 and sales3: list order
        ("sales3", "Load Balancing, fewest open: 0"),
        ("sales", "Load Balancing, fewest open: 1"),
    ]
    sales.is_active = False
    sales.save()
    assert holder(make_opportunity(manager, customer))[0][0] == "sales2"


@time_machine.travel(MONDAY, tick=False)
def test_based_on_field(manager, sales, sales2, customer):
    make_rule(manager, rule="Based on Field", field="contact_by", users=[])
    chosen = make_opportunity(manager, customer, contact_by="sales2")
    assert holder(chosen) == [("sales2", "Open", "Sales rota", "Based on Field contact_by")]
    assert Opportunity.objects.get(pk=chosen.pk).opportunity_owner == sales2
    assert holder(make_opportunity(manager, customer)) == []  # nobody named
    sales2.is_active = False
    sales2.save()
    outcome = services.dry_run(
        document_type="Opportunity", document={"status": "Open", "contact_by": "sales2"}, by=manager
    )
    assert [(r.matched, r.reason) for r in outcome.rules] == [
        (False, "assign condition holds, but sales2 (contact_by) is inactive")
    ]


@time_machine.travel(MONDAY, tick=False)
def test_priority_first_rule_that_matches_wins(manager, sales, sales2, sales3, customer):
    make_rule(manager, "Low", priority=1, users=["sales"])
    make_rule(
        manager,
        "High",
        priority=5,
        users=["sales2"],
        assign_condition=when("title", "contains", "Big"),
    )
    make_rule(manager, "Off", priority=9, users=["sales3"], disabled=True)
    big = make_opportunity(manager, customer, title="Big deal")
    small = make_opportunity(manager, customer, title="Small deal")
    assert holder(big)[0][0:3] == ("sales2", "Open", "High")
    assert holder(small)[0][0:3] == ("sales", "Open", "Low")


def test_assignment_days_in_the_company_time_zone(
    manager, sales, sales2, customer, django_capture_on_commit_callbacks
):
    make_rule(manager, "Weekdays", users=["sales"], assignment_days=["Monday", "Tuesday"])
    make_rule(manager, "Weekend", priority=-1, users=["sales2"], assignment_days=["Sunday"])
    with time_machine.travel(SUNDAY_EVENING_UTC, tick=False):
        in_utc = make_opportunity(manager, customer)  # Sunday in UTC
        CRMSettings.objects.filter(pk=1).update(time_zone="Asia/Tokyo")
        with django_capture_on_commit_callbacks(execute=True):  # the rule's turns (PostgreSQL)
            in_tokyo = make_opportunity(manager, customer)  # Monday morning in Tokyo
        outcome = services.dry_run(
            document_type="Opportunity", document={"status": "Open"}, by=manager
        )
    assert holder(in_utc)[0][0:3] == ("sales2", "Open", "Weekend")
    assert holder(in_tokyo)[0][0:3] == ("sales", "Open", "Weekdays")
    assert [(r.rule, r.matched, r.reason) for r in outcome.rules] == [
        ("Weekdays", True, "Round Robin, after sales"),
        ("Weekend", False, "not on Monday (days: Sunday)"),
    ]


@time_machine.travel(MONDAY, tick=False)
def test_unassign_then_the_rules_run_again(manager, sales, sales2, customer):
    make_rule(
        manager,
        "North",
        priority=2,
        users=["sales"],
        assign_condition=when("title", "contains", "North"),
        unassign_condition=when("title", "contains", "South"),
    )
    make_rule(
        manager, "South", users=["sales2"], assign_condition=when("title", "contains", "South")
    )
    deal = make_opportunity(manager, customer, title="North deal")
    deal = crm.update_opportunity(
        deal, data={"title": "South deal"}, version=deal.version, by=manager
    )
    assert holder(deal) == [
        ("sales", "Cancelled", "North", "Round Robin, first in the list"),
        ("sales2", "Open", "South", "Round Robin, first in the list"),
    ]
    assert Opportunity.objects.get(pk=deal.pk).opportunity_owner == sales2
    # a rule that did not make the assignment cannot clear it; the assignment stays (sticky)
    deal = crm.update_opportunity(
        deal, data={"title": "North deal"}, version=deal.version, by=manager
    )
    assert [row[1] for row in holder(deal)] == ["Cancelled", "Open"]


@time_machine.travel(MONDAY, tick=False)
def test_close_condition_closes_and_reopens(manager, sales, customer):
    make_rule(
        manager,
        users=["sales"],
        assign_condition=when("status", "in", ["Open", "Replied"]),
        close_condition=when("status", "eq", "Closed"),
    )
    deal = make_opportunity(manager, customer)
    deal = crm.set_opportunity_status(deal, status="Closed", version=deal.version, by=manager)
    assert [row[0:2] for row in holder(deal)] == [("sales", "Closed")]
    deal = crm.set_opportunity_status(deal, status="Open", version=deal.version, by=manager)
    assert [row[0:2] for row in holder(deal)] == [("sales", "Open")]
    notes = Comment.objects.filter(reference_name=deal.pk, comment_type="Assigned").order_by("id")
    assert list(notes.values_list("content", flat=True)) == [
        "Assigned to sales by rule Sales rota: Round Robin, first in the list",
        "Assignment of sales closed: close condition of Sales rota: status eq 'Closed' "
        "(it is 'Closed')",
        "Assignment of sales reopened: close condition of Sales rota no longer holds",
    ]


@time_machine.travel(MONDAY, tick=False)
def test_an_assigned_document_keeps_its_assignment(manager, sales, sales2, customer):
    deal = make_opportunity(manager, customer)
    services.assign_by_hand(
        reference_type="Opportunity", reference_name=deal.pk, allocated_to="sales2", by=manager
    )
    make_rule(manager, users=["sales"])
    deal = crm.update_opportunity(deal, data={"title": "Edited"}, version=2, by=manager)
    assert [row[0:3] for row in holder(deal)] == [("sales2", "Open", None)]
    outcome = services.dry_run(document_type="Opportunity", name=deal.pk, by=manager)
    assert (outcome.action, outcome.reason) == (
        "keep",
        "already assigned to sales2: the assignment stays",
    )


@time_machine.travel(MONDAY, tick=False)
def test_leads_too(manager, sales, sales2):
    make_rule(
        manager,
        document_type="Lead",
        users=["sales2"],
        assign_condition=when("city", "eq", "Paris"),
    )
    lead = make_lead(manager, city="Paris")
    assert holder(lead) == [("sales2", "Open", "Sales rota", "Round Robin, first in the list")]
    lead.refresh_from_db()
    assert lead.lead_owner == sales2


@time_machine.travel(MONDAY, tick=False)
def test_manual_assign_and_unassign(manager, sales, sales2, customer):
    deal = make_opportunity(sales, customer)
    with pytest.raises(NotFoundError):  # sales2 does not see it
        services.assign_by_hand(
            reference_type="Opportunity", reference_name=deal.pk, allocated_to="sales2", by=sales2
        )
    with pytest.raises(ValidationError) as refused:
        services.assign_by_hand(
            reference_type="Opportunity", reference_name=deal.pk, allocated_to="nobody", by=sales
        )
    assert list(refused.value.fields) == ["allocated_to"]
    assert Assignment.objects.count() == 0
    given = services.assign_by_hand(
        reference_type="Opportunity", reference_name=deal.pk, allocated_to="sales2", by=sales
    )
    deal.refresh_from_db()
    assert (given.reason, deal.opportunity_owner, given.assigned_by) == (
        "Assigned by sales",
        sales2,
        sales,
    )
    assert Notification.objects.filter(user=sales2, key=f"assignment:{given.pk}").count() == 1
    services.end_assignment(given, status="Cancelled", by=sales2)
    deal.refresh_from_db()
    assert (Assignment.objects.get().status, deal.opportunity_owner) == ("Cancelled", sales2)
    mine = services.assign_by_hand(
        reference_type="Opportunity", reference_name=deal.pk, allocated_to="sales", by=sales
    )
    assert Notification.objects.filter(key=f"assignment:{mine.pk}").count() == 0  # self-assigned


@time_machine.travel(MONDAY, tick=False)
def test_dry_run_tells_what_then_happens_and_writes_nothing(
    manager, sales, sales2, sales3, customer, django_capture_on_commit_callbacks
):
    deal = make_opportunity(manager, customer, opportunity_amount="500")  # before any rule
    make_rule(
        manager,
        "Big",
        priority=5,
        users=["sales3"],
        assign_condition=when("opportunity_amount", "gte", "10000"),
    )
    make_rule(manager, "Days", priority=3, users=["sales3"], assignment_days=["Saturday"])
    make_rule(manager, users=["sales", "sales2"])
    with django_capture_on_commit_callbacks(execute=True):  # the rule's last user (PostgreSQL)
        make_opportunity(manager, customer)  # sales has had one
    counts = (Assignment.objects.count(), Comment.objects.count(), Notification.objects.count())
    outcome = services.dry_run(document_type="Opportunity", name=deal.pk, by=manager)
    assert (outcome.action, outcome.rule, outcome.user, outcome.reason) == (
        "assign",
        "Sales rota",
        "sales2",
        "Round Robin, after sales",
    )
    assert [(r.rule, r.matched, r.reason) for r in outcome.rules] == [
        ("Big", False, "assign condition: opportunity_amount gte '10000' (it is '500.0000')"),
        ("Days", False, "not on Monday (days: Saturday)"),
        ("Sales rota", True, "Round Robin, after sales"),
    ]
    assert (
        Assignment.objects.count(),
        Comment.objects.count(),
        Notification.objects.count(),
    ) == counts
    assert AssignmentRule.objects.get(pk="Sales rota").last_user == sales
    body = services.dry_run(
        document_type="Opportunity",
        name=deal.pk,
        document={"opportunity_amount": "20000"},
        by=manager,
    )
    assert (body.rule, body.user) == ("Big", "sales3")
    changed = crm.update_opportunity(deal, data={"title": "Now"}, version=deal.version, by=manager)
    assert holder(changed)[-1][0:4] == ("sales2", "Open", "Sales rota", "Round Robin, after sales")
    with pytest.raises(NotFoundError) as unseen:
        services.dry_run(document_type="Opportunity", name="nope", by=manager)
    assert list(unseen.value.fields) == ["name"]


def test_saving_a_rule_checks_every_field(manager, sales):
    with pytest.raises(ValidationError) as refused:
        services.create_assignment_rule(
            data={
                "name": "Bad",
                "document_type": "Opportunity",
                "assign_condition": when("colour", "eq", "red"),
                "close_condition": {
                    "match": "all",
                    "conditions": [{"field": "status", "op": "like", "value": 1}],
                },
                "assignment_days": ["Monday", "Funday", "Monday"],
                "rule": "Round Robin",
                "users": ["sales", "ghost", "sales"],
            },
            by=manager,
        )
    assert refused.value.fields == {
        "assignment_days": [
            "'Funday' is not a weekday (Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday).",
            "The following Assignment Days have been repeated: Monday",
        ],
        "assign_condition": ["condition 1: unknown field 'colour'"],
        "close_condition": [
            "condition 1: unknown operator 'like' (use eq, ne, in, not_in, gt, gte, lt, lte, "
            "contains, is_set, is_not_set)"
        ],
        "users": ["User 'ghost' does not exist.", "Listed more than once: sales."],
    }
    with pytest.raises(ValidationError) as refused:
        services.create_assignment_rule(
            data={"name": "F", "document_type": "Quotation", "rule": "Based on Field"}, by=manager
        )
    assert list(refused.value.fields) == ["document_type"]
    with pytest.raises(ValidationError) as refused:
        services.create_assignment_rule(
            data={
                "name": "F",
                "document_type": "Opportunity",
                "rule": "Based on Field",
                "field": "title",
                "assign_condition": when(),
            },
            by=manager,
        )
    assert refused.value.fields == {
        "field": ["Choose a user field: opportunity_owner, contact_by, owner."]
    }
    assert AssignmentRule.objects.count() == 0


@time_machine.travel(MONDAY, tick=False)
def test_lead_rules_run_on_update_and_a_name_is_a_path_segment(manager, sales, sales2):
    with pytest.raises(ValidationError) as refused:
        make_rule(manager, "North/South", document_type="Lead", users=["sales"])
    assert refused.value.fields == {"name": ["A rule's name cannot contain /."]}
    make_rule(
        manager,
        document_type="Lead",
        users=["sales2"],
        assign_condition=when("city", "eq", "Paris"),
        unassign_condition=when("city", "ne", "Paris"),
    )
    lead = make_lead(manager, city="Lyon")
    assert holder(lead) == []
    lead = crm.update_lead(lead, data={"city": "Paris"}, version=lead.version, by=manager)
    assert holder(lead) == [("sales2", "Open", "Sales rota", "Round Robin, first in the list")]
    lead = crm.update_lead(lead, data={"city": "Nice"}, version=lead.version, by=manager)
    assert [row[1] for row in holder(lead)] == ["Cancelled"]
