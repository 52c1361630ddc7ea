"""What assignments say about who may see a document: the apps above ask, for their own record
rules, which documents of a type are open-assigned to a user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from opportune.automation.models import Assignment

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
