"""Who sees which notifications: each user their own, nobody another's (a 404, as if it did not
exist), managers and administrators included."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from opportune.core.errors import NotFoundError
from opportune.core.statements import fetch
from opportune.notifications.models import Notification

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

# The bell counts up to this many unread ("99+"): the count stops there, however many there are.
BELL_CAP = 100


def notifications_visible_to(user: AnyUser) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)


def get_notification_for(user: AnyUser, notification_id: int) -> Notification:
    notification = notifications_visible_to(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFoundError("Notification not found.")
    return notification


def unread_count(user: AnyUser) -> int:
    """The user's unread notifications, counted up to BELL_CAP: one COUNT over the inbox index
    (user, read), bounded however many there are."""
    if not user.is_authenticated:
        return 0
    # every page's bell: a kept statement (core/statements.py), at most BELL_CAP ids read
    unread = fetch(
        "notifications.unread",
        lambda v: (
            Notification.objects.filter(user=v.user, read=False)
            .order_by()
            .values_list("pk", flat=True)[:BELL_CAP]
        ),
        user=user.pk,
    )
    return len(unread)
