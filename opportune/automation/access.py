"""What assignments say about who may see a document: the apps above ask, for their own record
rules, which documents of a type are open-assigned to a user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet

from opportune.accounts.roles import is_manager, is_sales
from opportune.automation.models import Assignment, AssignmentRule, AssignmentRuleUser
from opportune.core.access import get_visible

if TYPE_CHECKING:
    from opportune.core.users import AnyUser


def assigned_names(user: AnyUser, reference_type: str) -> QuerySet[Assignment, str]:
    """The names of the documents of ``reference_type`` with an Open assignment to ``user``:
    a subquery (no query of its own) for a record rule."""
    if not user.is_authenticated:
        return Assignment.objects.none().values_list("reference_name", flat=True)
    return Assignment.objects.filter(
        reference_type=reference_type, allocated_to=user.pk, status=Assignment.Status.OPEN
    ).values_list("reference_name", flat=True)


# --- assignment rules and assignments (API and pages) ---------------------------------------------
def can_manage_rules(user: AnyUser) -> bool:
    """Managers read and write assignment rules (ERPNext: System Manager only; here also the
    Sales Manager, who keeps the sales masters)."""
    return is_manager(user)


def rules_visible_to(user: AnyUser) -> QuerySet[AssignmentRule]:
    rows = AssignmentRule.objects.all() if can_manage_rules(user) else AssignmentRule.objects.none()
    return rows.prefetch_related(
        Prefetch("user_rows", queryset=AssignmentRuleUser.objects.select_related("user"))
    ).select_related("last_user")


def get_rule_for(user: AnyUser, name: str, *, write: bool = False) -> AssignmentRule:
    return get_visible(
        rules_visible_to(user),
        "Assignment Rule",
        name,
        user=user,
        write=write,
        can_write=can_manage_rules,
    )


def assignments_visible_to(user: AnyUser) -> QuerySet[Assignment]:
    """Managers see every assignment; a sales user the ones given to them and the ones they
    gave (and may close or cancel those)."""
    rows = Assignment.objects.select_related("allocated_to", "assigned_by")
    if is_manager(user):
        return rows
    if not is_sales(user):
        return rows.none()
    return rows.filter(Q(allocated_to=user.pk) | Q(assigned_by=user.pk))


def get_assignment_for(user: AnyUser, id: Any, *, write: bool = False) -> Assignment:
    """The assignee (or who gave it) closes or cancels it; managers any."""
    return get_visible(
        assignments_visible_to(user), "Assignment", id, user=user, write=write, can_write=is_sales
    )
