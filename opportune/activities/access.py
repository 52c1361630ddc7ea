"""Who sees which events: each user their own calendar, nobody else's (managers included)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opportune.activities.models import Event
from opportune.core.errors import NotFoundError


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
