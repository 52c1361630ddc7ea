"""Assigning a document to a user and closing the assignment (ERPNext's ToDo). The rules that
assign automatically are the assignment engine's (issue 9); these are what it will call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from opportune.automation.models import Assignment
from opportune.core.errors import ValidationError
from opportune.core.models import Comment
from opportune.core.timeline import add_comment

if TYPE_CHECKING:
    from opportune.core.users import User


def _reference(document: Any) -> tuple[str, str]:
    doctype = getattr(document, "doctype", None)
    if not isinstance(doctype, str) or document.pk is None:
        raise ValueError(f"{document!r} is not a saved document.")
    return doctype, str(document.pk)


@transaction.atomic
def assign(
    document: Any,
    *,
    user: User,
    by: User | None,
    reason: str = "",
    assignment_rule: str | None = None,
) -> Assignment:
    """Give ``document`` to ``user``: an Open assignment (the one already open, if any), and a
    line on the document's timeline. An inactive user cannot be given work."""
    if not user.is_active:
        raise ValidationError.for_field("allocated_to", f"{user.get_username()} is disabled.")
    doctype, name = _reference(document)
    existing = Assignment.objects.filter(
        reference_type=doctype,
        reference_name=name,
        allocated_to=user,
        status=Assignment.Status.OPEN,
    ).first()
    if existing is not None:
        return existing
    assignment = Assignment.objects.create(
        reference_type=doctype,
        reference_name=name,
        allocated_to=user,
        assigned_by=by,
        assignment_rule=assignment_rule,
        reason=reason,
    )
    add_comment(
        doctype,
        name,
        content=f"Assigned to {user.get_username()}" + (f": {reason}" if reason else ""),
        by=by,
        comment_type=Comment.Type.ASSIGNED,
    )
    return assignment


@transaction.atomic
def close_assignment(
    assignment: Assignment, *, by: User | None, status: str = Assignment.Status.CLOSED
) -> Assignment:
    """Close (the work is done) or cancel an open assignment; closing a closed one changes
    nothing. The user no longer sees the document through it."""
    if status not in (Assignment.Status.CLOSED, Assignment.Status.CANCELLED):
        raise ValidationError.for_field("status", f"must be Closed or Cancelled, not {status}.")
    claimed = Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.OPEN).update(
        status=status
    )
    assignment.refresh_from_db()
    if claimed:
        add_comment(
            assignment.reference_type,
            assignment.reference_name,
            content=f"Assignment of {assignment.allocated_to.get_username()} {status.lower()}",
            by=by,
            comment_type=Comment.Type.ASSIGNED,
        )
    return assignment
