"""JSON shapes of assignment rules, assignments and the dry run (API.md: "An assignment rule has
ERPNext's fields ..."; the condition shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import Field

from opportune.automation.conditions import OPS
from opportune.core.filters import CommaList, FilterSchema
from opportune.core.schemas import Resolver, StrictIn, username

Op = Literal[OPS]  # type: ignore[valid-type]
Scalar = str | int | float | bool
Username = Annotated[str, Field(min_length=1, max_length=150)]


class ClauseIn(StrictIn):
    field: str = Field(..., min_length=1, max_length=60, description="A field of the document")
    op: Op
    value: Scalar | list[Scalar] | None = Field(
        None, description="A list for in and not_in; none for is_set and is_not_set"
    )


class ConditionIn(StrictIn):
    match: Literal["all", "any"] = "all"
    conditions: list[ClauseIn] = Field(default_factory=list, max_length=50)


class AssignmentRuleFields(StrictIn):
    document_type: str | None = Field(None, max_length=60, description="Opportunity or Lead")
    priority: int | None = Field(None, ge=-1_000_000, le=1_000_000, description="Higher first")
    disabled: bool | None = None
    description: str | None = Field(None, max_length=2000)
    assign_condition: ConditionIn | None = None
    unassign_condition: ConditionIn | None = None
    close_condition: ConditionIn | None = None
    assignment_days: list[Annotated[str, Field(max_length=20)]] | None = Field(
        None, max_length=14, description="Weekday names; none: every day"
    )
    rule: Literal["Round Robin", "Load Balancing", "Based on Field"] | None = None
    field: str | None = Field(None, max_length=60, description="Based on Field: a user field")
    users: list[Username] | None = Field(None, max_length=100, description="Usernames, in order")


class AssignmentRuleCreate(AssignmentRuleFields):
    name: str = Field(..., min_length=1, max_length=140)
    document_type: str = Field(..., min_length=1, max_length=60)


class AssignmentRulePatch(AssignmentRuleFields):
    pass


class AssignmentRuleOut(Schema):
    name: str
    document_type: str
    priority: int
    disabled: bool
    description: str
    assign_condition: dict[str, Any] | None
    unassign_condition: dict[str, Any] | None
    close_condition: dict[str, Any] | None
    assignment_days: list[str]
    rule: str
    field: str
    users: list[str]
    last_user: str | None
    creation: datetime
    modified: datetime

    resolve_last_user: ClassVar[Resolver] = username("last_user")

    @staticmethod
    def resolve_users(obj: Any) -> list[str]:
        return [row.user.username for row in obj.user_rows.all()]


class AssignmentRuleFilters(FilterSchema):
    document_type: Annotated[CommaList, FilterLookup("document_type__in")] = None
    disabled: bool | None = None


class AssignmentIn(StrictIn):
    reference_type: str = Field(..., min_length=1, max_length=60)
    reference_name: str = Field(..., min_length=1, max_length=140)
    allocated_to: Username


class AssignmentOut(Schema):
    name: str
    reference_type: str
    reference_name: str
    allocated_to: str
    status: str
    assignment_rule: str | None
    reason: str
    assigned_by: str | None
    creation: datetime

    resolve_allocated_to: ClassVar[Resolver] = username("allocated_to")
    resolve_assigned_by: ClassVar[Resolver] = username("assigned_by")

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.pk)


class AssignmentFilters(FilterSchema):
    user: Annotated[CommaList, FilterLookup("allocated_to__username__in")] = None
    status: Annotated[CommaList, FilterLookup("status__in")] = None
    reference_type: Annotated[CommaList, FilterLookup("reference_type__in")] = None
    reference_name: Annotated[CommaList, FilterLookup("reference_name__in")] = None
    assignment_rule: Annotated[CommaList, FilterLookup("assignment_rule__in")] = None


class DryRunIn(StrictIn):
    document_type: str = Field(..., min_length=1, max_length=60)
    name: str | None = Field(None, min_length=1, max_length=140, description="A saved document")
    document: dict[str, Any] | None = Field(
        None, description="Field values (alone, or over the saved document's)"
    )


class RuleReportOut(Schema):
    rule: str
    priority: int
    matched: bool
    reason: str


class DryRunOut(Schema):
    document_type: str
    name: str | None
    action: str = Field(..., description="assign, keep, unassign, close, reopen or none")
    rule: str | None
    user: str | None
    reason: str
    rules: list[RuleReportOut]
