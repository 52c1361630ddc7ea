"""JSON API of assignment rules and assignments (API.md). Thin: look up through access, call the
service. Managers read and write rules and run the dry run; a sales user lists the assignments
given to them, closes or cancels them, and assigns a document they may change by hand."""

# No ``from __future__ import annotations``: ninja reads the views' annotations as classes.

from typing import Any

from ninja import Query, Router, Status

from opportune.accounts.auth import API_AUTH
from opportune.accounts.roles import is_sales
from opportune.automation import access, services
from opportune.automation.models import Assignment, AssignmentRule
from opportune.automation.schemas import (
    AssignmentFilters,
    AssignmentIn,
    AssignmentOut,
    AssignmentRuleCreate,
    AssignmentRuleFilters,
    AssignmentRuleOut,
    AssignmentRulePatch,
    DryRunIn,
    DryRunOut,
)
from opportune.core.api import ApiRequest, ListParams, paginate
from opportune.core.api_documents import created, no_content, ok, page, payload_data
from opportune.core.api_gate import gated

router = Router(tags=["assignments"])
MANAGERS_ONLY = gated(API_AUTH, access.can_manage_rules, "You may not change assignment rules.")
SALES_ONLY = gated(API_AUTH, is_sales, "You may not assign documents.")
RULE_ORDERINGS = ("name", "priority", "modified")
ASSIGNMENT_ORDERINGS = ("creation",)


def _rule_out(user: Any, name: str) -> AssignmentRule:
    return access.get_rule_for(user, name)


@router.get("/assignment-rules", response=page(AssignmentRuleOut), tags=["assignment-rules"])
def list_assignment_rules(
    request: ApiRequest, params: Query[ListParams], filters: Query[AssignmentRuleFilters]
) -> dict[str, Any]:
    rows = filters.filter(access.rules_visible_to(request.auth))
    return paginate(rows, params, orderings=RULE_ORDERINGS, default="-priority")


@router.post(
    "/assignment-rules",
    auth=MANAGERS_ONLY,
    response=created(AssignmentRuleOut),
    tags=["assignment-rules"],
)
def create_assignment_rule(request: ApiRequest, payload: AssignmentRuleCreate) -> Status[Any]:
    rule = services.create_assignment_rule(data=payload_data(payload), by=request.auth)
    return Status(201, _rule_out(request.auth, rule.name))


@router.post(
    "/assignment-rules/dry-run",
    auth=MANAGERS_ONLY,
    response=ok(DryRunOut),
    tags=["assignment-rules"],
    description="Which rule would take the document, which user it would pick and why, and why "
    "each other rule would not; writes nothing.",
)
def dry_run_assignment_rules(request: ApiRequest, payload: DryRunIn) -> services.Outcome:
    return services.dry_run(
        document_type=payload.document_type,
        name=payload.name,
        document=payload.document,
        by=request.auth,
    )


@router.get("/assignment-rules/{name}", response=ok(AssignmentRuleOut), tags=["assignment-rules"])
def get_assignment_rule(request: ApiRequest, name: str) -> AssignmentRule:
    return access.get_rule_for(request.auth, name)


@router.patch(
    "/assignment-rules/{name}",
    auth=MANAGERS_ONLY,
    response=ok(AssignmentRuleOut),
    tags=["assignment-rules"],
)
def update_assignment_rule(
    request: ApiRequest, name: str, payload: AssignmentRulePatch
) -> AssignmentRule:
    rule = access.get_rule_for(request.auth, name, write=True)
    services.update_assignment_rule(rule, data=payload_data(payload), by=request.auth)
    return _rule_out(request.auth, name)


@router.delete(
    "/assignment-rules/{name}",
    auth=MANAGERS_ONLY,
    response=no_content(),
    tags=["assignment-rules"],
)
def delete_assignment_rule(request: ApiRequest, name: str) -> Status[None]:
    rule = access.get_rule_for(request.auth, name, write=True)
    services.delete_assignment_rule(rule, by=request.auth)
    return Status(204, None)


@router.get("/assignments", response=page(AssignmentOut))
def list_assignments(
    request: ApiRequest, params: Query[ListParams], filters: Query[AssignmentFilters]
) -> dict[str, Any]:
    rows = filters.filter(access.assignments_visible_to(request.auth))
    return paginate(rows, params, orderings=ASSIGNMENT_ORDERINGS, default="-creation")


@router.post("/assignments", auth=SALES_ONLY, response=created(AssignmentOut))
def create_assignment(request: ApiRequest, payload: AssignmentIn) -> Status[Any]:
    assignment = services.assign_by_hand(
        reference_type=payload.reference_type,
        reference_name=payload.reference_name,
        allocated_to=payload.allocated_to,
        by=request.auth,
    )
    return Status(
        201, Assignment.objects.select_related("allocated_to", "assigned_by").get(pk=assignment.pk)
    )


@router.get("/assignments/{id}", response=ok(AssignmentOut))
def get_assignment(request: ApiRequest, id: int) -> Assignment:
    return access.get_assignment_for(request.auth, id)


def _end(request: ApiRequest, id: int, status: str) -> Assignment:
    assignment = access.get_assignment_for(request.auth, id, write=True)
    services.end_assignment(assignment, status=status, by=request.auth)
    return access.get_assignment_for(request.auth, id)


@router.post("/assignments/{id}/close", response=ok(AssignmentOut))
def close_assignment(request: ApiRequest, id: int) -> Assignment:
    return _end(request, id, Assignment.Status.CLOSED)


@router.post("/assignments/{id}/cancel", response=ok(AssignmentOut))
def cancel_assignment(request: ApiRequest, id: int) -> Assignment:
    return _end(request, id, Assignment.Status.CANCELLED)
