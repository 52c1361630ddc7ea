"""Assignments (ERPNext's ToDo): one open assignment per user and document, closed or cancelled
by the service, which notes both on the document's timeline."""

from __future__ import annotations

import pytest

from opportune.automation.models import Assignment
from opportune.automation.services import assign, close_assignment
from opportune.core.errors import ValidationError
from opportune.core.models import Comment
from opportune.testing import make_lead

pytestmark = pytest.mark.django_db


def test_assign_then_close(sales, sales2, manager):
    lead = make_lead(sales)
    assignment = assign(lead, user=sales2, by=manager, reason="North")
    assert assign(lead, user=sales2, by=manager) == assignment
    row = Assignment.objects.values(
        "reference_type", "reference_name", "allocated_to__username", "status", "reason"
    ).get()
    assert row == {
        "reference_type": "Lead",
        "reference_name": lead.name,
        "allocated_to__username": "sales2",
        "status": "Open",
        "reason": "North",
    }
    close_assignment(assignment, by=manager)
    close_assignment(assignment, by=manager)  # already closed: nothing more
    assert Assignment.objects.get().status == "Closed"
    notes = Comment.objects.filter(reference_name=lead.name, comment_type="Assigned")
    assert list(notes.order_by("id").values_list("content", flat=True)) == [
        "Assigned to sales2: North",
        "Assignment of sales2 closed",
    ]
    again = assign(lead, user=sales2, by=manager)  # a new open one after the closed one
    assert again.pk != assignment.pk


def test_refusals_change_nothing(sales, sales2, manager):
    lead = make_lead(sales)
    sales2.is_active = False
    sales2.save()
    with pytest.raises(ValidationError) as refused:
        assign(lead, user=sales2, by=manager)
    assert refused.value.fields == {"allocated_to": ["sales2 is disabled."]}
    assignment = assign(lead, user=manager, by=manager)
    with pytest.raises(ValidationError) as refused:
        close_assignment(assignment, by=manager, status="Open")
    assert list(refused.value.fields) == ["status"]
    assert list(Assignment.objects.values_list("allocated_to__username", "status")) == [
        ("manager", "Open")
    ]
