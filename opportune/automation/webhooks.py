"""The assignment event automation sends to webhooks (webhooks.registry), and its payload: the
assignment as ``GET /api/v1/assignments`` lists it."""

from __future__ import annotations

from typing import Any

from opportune.automation.models import Assignment
from opportune.automation.schemas import AssignmentOut
from opportune.webhooks import registry

ASSIGNED = "assignment.created"


def _payload(assignment: Assignment) -> dict[str, Any]:
    data: dict[str, Any] = AssignmentOut.from_orm(assignment).model_dump(mode="json")
    return data


def register() -> None:
    registry.register_event(ASSIGNED, "A document is assigned to a user (by a rule or by hand).")
    registry.register_payload(Assignment, _payload)
