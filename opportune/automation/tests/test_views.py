"""The pages: the rule list and form with its condition builder (managers only), the dry run,
and the Assignments card of an opportunity and a lead (assign to, unassign)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from opportune.accounts.roles import SALES_USER
from opportune.automation.models import Assignment, AssignmentRule
from opportune.crm.models import Opportunity
from opportune.testing import client_for, make_customer, make_lead, make_opportunity, make_user

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)

FORM = {
    "name": "Big deals",
    "document_type": "Opportunity",
    "priority": "4",
    "description": "Big ones to the seniors",
    "assign_condition-match": "all",
    "assign_condition-field": ["opportunity_amount", "status", ""],
    "assign_condition-op": ["gte", "in", "eq"],
    "assign_condition-value": ["10000", "Open, Replied", ""],
    "close_condition-match": "any",
    "close_condition-field": ["status"],
    "close_condition-op": ["eq"],
    "close_condition-value": ["Closed"],
    "unassign_condition-field": [""],
    "unassign_condition-op": ["eq"],
    "unassign_condition-value": [""],
    "assignment_days": ["Monday", "Friday"],
    "rule": "Round Robin",
    "field": "",
    "users": ["sales2", "sales", ""],
}


def test_rule_form_saves_the_condition_builder(manager, sales, sales2):
    client = client_for(manager)
    assert client.get("/assignment-rules/new/").status_code == 200
    r = client.post("/assignment-rules/new/", FORM)
    assert r.status_code == 302, r.content.decode()[:3000]
    rule = AssignmentRule.objects.get()
    assert rule.assign_condition == {
        "match": "all",
        "conditions": [
            {"field": "opportunity_amount", "op": "gte", "value": "10000"},
            {"field": "status", "op": "in", "value": ["Open", "Replied"]},
        ],
    }
    assert rule.close_condition == {
        "match": "any",
        "conditions": [{"field": "status", "op": "eq", "value": "Closed"}],
    }
    assert rule.unassign_condition is None
    assert [row.user.username for row in rule.user_rows.all()] == ["sales2", "sales"]
    assert rule.assignment_days == ["Monday", "Friday"]
    page = client.get("/assignment-rules/").content.decode()
    assert "Big deals" in page and "sales2, sales" in page
    edit = client.get("/assignment-rules/Big deals/edit/").content.decode()
    assert 'value="Open, Replied"' in edit
    r = client.post(
        "/assignment-rules/Big deals/edit/",
        {**FORM, "assign_condition-field": ["colour"], "assignment_days": ["Monday", "Monday"]},
    )
    assert r.status_code == 422
    body = r.content.decode()
    assert "condition 1: unknown field &#x27;colour&#x27;" in body
    assert "The following Assignment Days have been repeated: Monday" in body
    assert AssignmentRule.objects.get().assign_condition == rule.assign_condition  # unchanged


def test_sales_users_are_refused(sales, manager):
    client = client_for(sales)
    for url in ("/assignment-rules/", "/assignment-rules/new/", "/assignment-rules/dry-run/"):
        assert client.get(url).status_code == 403
    assert client.post("/assignment-rules/new/", FORM).status_code == 403
    assert AssignmentRule.objects.count() == 0
    assert "Assignment Rules" not in client.get("/").content.decode()
    assert "Assignment Rules" in client_for(manager).get("/").content.decode()


@time_machine.travel(MONDAY, tick=False)
def test_dry_run_page(manager, sales, sales2, django_capture_on_commit_callbacks):
    client = client_for(manager)
    client.post("/assignment-rules/new/", {**FORM, "assign_condition-value": ["0", "Open", ""]})
    with django_capture_on_commit_callbacks(execute=True):  # the rule's turns (PostgreSQL)
        deal = make_opportunity(sales, make_customer(sales), opportunity_amount="50")
    page = client.get(
        "/assignment-rules/dry-run/", {"document_type": "Opportunity", "name": deal.name}
    ).content.decode()
    assert "already assigned to sales2: the assignment stays" in page
    Assignment.objects.all().delete()
    page = client.get(
        "/assignment-rules/dry-run/", {"document_type": "Opportunity", "name": deal.name}
    ).content.decode()
    assert "Rule Big deals would assign it to sales" in page
    assert "Round Robin, after sales2" in page
    assert Assignment.objects.count() == 0


@time_machine.travel(MONDAY, tick=False)
def test_assign_and_unassign_on_the_document_pages(sales, sales2):
    deal = make_opportunity(sales, make_customer(sales))
    url = f"/crm/opportunities/{deal.name}/"
    client = client_for(sales)
    assert "Not assigned." in client.get(url).content.decode()
    body = {
        "reference_type": "Opportunity",
        "reference_name": deal.name,
        "allocated_to": "sales2",
        "next": url,
    }
    r = client.post("/assignments/new/", body)
    assert (r.status_code, r["Location"]) == (302, url)
    page = client.get(url).content.decode()
    assert "Assigned by sales" in page
    assert Opportunity.objects.get().opportunity_owner == sales2
    assignment = Assignment.objects.get()
    r = client.post(f"/assignments/{assignment.pk}/cancel/", {"next": url})
    assert r.status_code == 302
    assert Assignment.objects.get().status == "Cancelled"
    lead = make_lead(sales)
    assert "Assignments" in client.get(f"/crm/leads/{lead.name}/").content.decode()
    # a user who does not see the document: 404, nothing written (sales2 owns it now)
    other = client_for(make_user("sales3", SALES_USER))
    assert other.post("/assignments/new/", {**body, "allocated_to": "sales"}).status_code == 404
    assert Assignment.objects.count() == 1
