"""Who sees which events: each user their own calendar, nobody else's (managers included); who
sees and changes which activities (docs/decisions/0028-activities.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from opportune.accounts.roles import is_manager, is_sales, roles_of
from opportune.activities.models import Activity, Event
from opportune.activities.references import activity_doctypes, visible_documents
from opportune.core.access import get_visible
from opportune.core.errors import NotFoundError, ValidationError


def events_visible_to(user: Any) -> QuerySet[Event]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Event.objects.none()
    return Event.objects.filter(owner=user)


def get_event_for(user: Any, pk: int) -> Event:
    """The user's own event ``pk``; anything else answers 404, as if it did not exist."""
    event = events_visible_to(user).select_related("owner").filter(pk=pk).first()
    if event is None:
        raise NotFoundError(f"Event {pk} not found.")
    return event


# --- activities (to-dos) ---------------------------------------------------------------------------
def activities_visible_to(user: Any) -> QuerySet[Activity]:
    """Managers see every activity; a sales or purchase user those given to them, those they
    planned, and those of the documents they may see (the owning app's record rules, as a
    subquery: a list stays one query)."""
    if not roles_of(user):
        return Activity.objects.none()
    if is_manager(user):
        return Activity.objects.all()
    seen = Q(allocated_to=user.pk) | Q(owner=user.pk)
    for doctype in activity_doctypes():
        documents = visible_documents(doctype, user)
        if documents is None or documents.query.is_empty():
            continue
        if not documents.query.has_filters():  # every one of them (shared customers)
            seen |= Q(reference_type=doctype)
        else:
            names = documents.order_by().values("pk")
            seen |= Q(reference_type=doctype, reference_name__in=names)
    return Activity.objects.filter(seen)


def can_write_activities(user: Any) -> bool:
    """Sales roles plan, change, finish and cancel the activities they see."""
    return is_sales(user)


def get_activity_for(user: Any, name: str, *, write: bool = False) -> Activity:
    return get_visible(
        activities_visible_to(user).select_related("activity_type", "allocated_to"),
        "Activity",
        name,
        user=user,
        write=write,
        can_write=can_write_activities,
    )


def check_reference(user: Any, reference_type: str, reference_name: str) -> None:
    """A document an activity is planned on must be one the user sees (404 naming the field,
    as if it did not exist); none at all is a personal to-do."""
    if not reference_type and not reference_name:
        return
    documents = visible_documents(reference_type, user)
    if documents is None:
        known = ", ".join(activity_doctypes())
        raise ValidationError.for_field("reference_type", f"Give one of: {known}.")
    if (
        not reference_name
        or "\x00" in reference_name
        or not documents.filter(pk=reference_name).exists()
    ):
        message = f"{reference_type} {reference_name} not found."
        raise NotFoundError(message, fields={"reference_name": [message]})
