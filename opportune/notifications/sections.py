"""What notifications shows on core's and accounts' pages (core.slots): the bell in the header
of every page, and the "Email me for" choices on the profile page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from opportune.core.slots import Section
from opportune.notifications.access import BELL_CAP, unread_count
from opportune.notifications.models import Notification
from opportune.notifications.services import email_choices


def bell_context(request: HttpRequest | None) -> dict[str, Any] | None:
    """The unread count (one bounded COUNT); None for a visitor not signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    unread = unread_count(user)
    return {"unread": unread, "unread_label": f"{BELL_CAP - 1}+" if unread >= BELL_CAP else unread}


def email_choices_context(request: HttpRequest | None) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    chosen = email_choices(user)
    return {
        "choices": [
            {"kind": kind, "label": label, "email": chosen.get(kind, False)}
            for kind, label in Notification.Kind.choices
        ]
    }


BELL = Section(key="notifications-bell", template="notifications/_bell.html", context=bell_context)
EMAIL_CHOICES = Section(
    key="notifications-email",
    template="notifications/_email_choices.html",
    context=email_choices_context,
)
