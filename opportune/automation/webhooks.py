"""The assignment event automation sends to webhooks (webhooks.registry), and its payload: the
assignment as ``GET /api/v1/assignments`` lists it."""

from __future__ import annotations

from opportune.automation.models import Assignment
from opportune.automation.schemas import AssignmentOut
from opportune.webhooks import registry

ASSIGNED = "assignment.created"


def register() -> None:
    registry.register_event(ASSIGNED, "A document is assigned to a user (by a rule or by hand).")
    registry.register_payload(Assignment, AssignmentOut)
