"""The API of assignment rules and assignments (API.md): shapes, validation errors naming the
fields, who may do what, and a dry run that writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from opportune.accounts.roles import SALES_USER
from opportune.automation.models import Assignment, AssignmentRule
from opportune.core.models import Comment
from opportune.crm.models import Opportunity
from opportune.testing import make_customer, make_opportunity, make_user

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
OPEN = {"match": "all", "conditions": [{"field": "status", "op": "eq", "value": "Open"}]}
RULE = {
    "name": "Rota",
    "document_type": "Opportunity",
    "priority": 3,
    "description": "Share the new deals",
    "assign_condition": OPEN,
    "close_condition": {
        "match": "any",
        "conditions": [{"field": "status", "op": "in", "value": ["Closed", "Lost"]}],
    },
    "assignment_days": ["Monday", "Friday"],
    "rule": "Round Robin",
    "users": ["sales2", "sales"],
}


@time_machine.travel(MONDAY, tick=False)
def test_rule_crud_shapes(manager, sales, sales2, api_as):
    api = api_as(manager)
    r = api.post("assignment-rules", RULE)
    assert r.status_code == 201, r.content
    assert r.json() == {
        "name": "Rota",
        "document_type": "Opportunity",
        "priority": 3,
        "disabled": False,
        "description": "Share the new deals",
        "assign_condition": OPEN,
        "unassign_condition": None,
        "close_condition": RULE["close_condition"],
        "assignment_days": ["Monday", "Friday"],
        "rule": "Round Robin",
        "field": "",
        "users": ["sales2", "sales"],
        "last_user": None,
        "creation": "2026-12-07T10:00:00Z",
        "modified": "2026-12-07T10:00:00Z",
    }
    assert api.post("assignment-rules", RULE).status_code == 409
    r = api.patch("assignment-rules/Rota", {"users": ["sales"], "unassign_condition": OPEN})
    assert (r.status_code, r.json()["users"], r.json()["unassign_condition"]) == (
        200,
        ["sales"],
        OPEN,
    )
    listed = api.get("assignment-rules").json()
    assert [row["name"] for row in listed["results"]] == ["Rota"]
    assert api.delete("assignment-rules/Rota").status_code == 204
    assert AssignmentRule.objects.count() == 0


def test_rule_validation_names_fields(manager, sales, api_as):
    api = api_as(manager)
    bad = {
        **RULE,
        "assign_condition": {
            "match": "all",
            "conditions": [{"field": "colour", "op": "eq", "value": 1}],
        },
        "assignment_days": ["Monday", "Monday"],
        "users": ["sales", "ghost"],
    }
    r = api.post("assignment-rules", bad)
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {
        "assign_condition": ["condition 1: unknown field 'colour'"],
        "assignment_days": ["The following Assignment Days have been repeated: Monday"],
        "users": ["User 'ghost' does not exist."],
    }
    r = api.post(
        "assignment-rules",
        {**RULE, "assign_condition": {"conditions": [{"field": "status", "op": "like"}]}},
    )
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["assign_condition.conditions[0].op"]
    assert AssignmentRule.objects.count() == 0


def test_sales_users_may_not_touch_rules(sales, sales2, manager, api_as):
    api = api_as(sales)
    assert api.post("assignment-rules", RULE).status_code == 403
    assert api.post("assignment-rules", {"bad": "shape"}).status_code == 403
    assert api.post("assignment-rules/dry-run", {"document_type": "Opportunity"}).status_code == 403
    assert api.get("assignment-rules").json()["results"] == []
    api_as(manager).post("assignment-rules", RULE)
    assert api.get("assignment-rules/Rota").status_code == 404
    assert api.patch("assignment-rules/Rota", {"priority": 1}).status_code == 403
    assert AssignmentRule.objects.get().priority == 3


@time_machine.travel(MONDAY, tick=False)
def test_dry_run_writes_nothing(manager, sales, sales2, api_as, django_capture_on_commit_callbacks):
    api = api_as(manager)
    api.post("assignment-rules", RULE)
    with django_capture_on_commit_callbacks(execute=True):  # the rule's last user (PostgreSQL)
        deal = make_opportunity(sales, make_customer(sales), opportunity_type="Maintenance")
    Assignment.objects.all().delete()  # as if made before the rule
    before = (
        Assignment.objects.count(),
        Comment.objects.count(),
        Opportunity.objects.get().version,
    )
    r = api.post("assignment-rules/dry-run", {"document_type": "Opportunity", "name": deal.name})
    assert r.status_code == 200, r.content
    assert r.json() == {
        "document_type": "Opportunity",
        "name": deal.name,
        "action": "assign",
        "rule": "Rota",
        "user": "sales",
        "reason": "Round Robin, after sales2",
        "rules": [
            {"rule": "Rota", "priority": 3, "matched": True, "reason": "Round Robin, after sales2"}
        ],
    }
    assert (
        Assignment.objects.count(),
        Comment.objects.count(),
        Opportunity.objects.get().version,
    ) == before
    assert (
        AssignmentRule.objects.values_list("last_user__username", flat=True).get() == "sales2"
    )  # from the creation above
    r = api.post(
        "assignment-rules/dry-run",
        {"document_type": "Opportunity", "document": {"status": "Lost"}},
    )
    assert r.json()["rules"] == [
        {
            "rule": "Rota",
            "priority": 3,
            "matched": False,
            "reason": "assign condition: status eq 'Open' (it is 'Lost')",
        }
    ]
    r = api.post("assignment-rules/dry-run", {"document_type": "Opportunity", "document": {"x": 1}})
    assert (r.status_code, r.json()["error"]["fields"]) == (
        422,
        {"document": ["Opportunity has no field x."]},
    )
    r = api.post("assignment-rules/dry-run", {"document_type": "Invoice", "name": "X"})
    assert list(r.json()["error"]["fields"]) == ["document_type"]


@time_machine.travel(MONDAY, tick=False)
def test_assignments_by_hand(manager, sales, sales2, api_as):
    deal = make_opportunity(sales, make_customer(sales))
    body = {"reference_type": "Opportunity", "reference_name": deal.name, "allocated_to": "sales2"}
    assert api_as(sales2).post("assignments", body).status_code == 404  # does not see it
    r = api_as(sales).post("assignments", body)
    assert r.status_code == 201, r.content
    row = r.json()
    assert row == {
        "name": row["name"],
        "reference_type": "Opportunity",
        "reference_name": deal.name,
        "allocated_to": "sales2",
        "status": "Open",
        "assignment_rule": None,
        "reason": "Assigned by sales",
        "assigned_by": "sales",
        "creation": "2026-12-07T10:00:00Z",
    }
    assert (
        Opportunity.objects.values_list("opportunity_owner__username", flat=True).get() == "sales2"
    )
    mine = api_as(sales2).get("assignments", status="Open").json()["results"]
    assert [a["name"] for a in mine] == [row["name"]]
    assert len(api_as(sales).get("assignments").json()["results"]) == 1  # the one they gave
    assert api_as(manager).get("assignments", user="sales").json()["results"] == []
    assert len(api_as(manager).get("assignments", user="sales2").json()["results"]) == 1
    outsider = api_as(make_user("sales3", SALES_USER))
    assert outsider.post(f"assignments/{row['name']}/close").status_code == 404
    r = api_as(sales2).post(f"assignments/{row['name']}/close")
    assert (r.status_code, r.json()["status"]) == (200, "Closed")
    r = api_as(manager).post(f"assignments/{row['name']}/cancel")
    assert (r.status_code, r.json()["status"]) == (200, "Cancelled")
    assert api_as(manager).post(f"assignments/{row['name']}/cancel").status_code == 409
    bad = api_as(sales).post("assignments", {**body, "allocated_to": "ghost"})
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (422, ["allocated_to"])
