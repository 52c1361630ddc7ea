"""JSON API of the user's own notifications (API.md ``notifications``): the list, mark one or
all read, and which kinds also come by email. Another user's notification answers 404."""

from __future__ import annotations

from ninja import Query, Router

from opportune.core.api import ApiRequest, ListParams, Page, paginate
from opportune.core.schemas import ERRORS
from opportune.notifications.access import get_notification_for, notifications_visible_to
from opportune.notifications.filters import NOTIFICATION_ORDERINGS, NotificationFilters
from opportune.notifications.schemas import (
    MarkedOut,
    NotificationOut,
    NotificationSettingsIn,
    NotificationSettingsOut,
)
from opportune.notifications.services import (
    email_choices,
    mark_all_notifications_read,
    mark_notification_read,
    set_email_choices,
)

router = Router(tags=["notifications"])


@router.get("/notifications", response={200: Page[NotificationOut], **ERRORS})
def list_notifications(
    request: ApiRequest, params: Query[ListParams], filters: Query[NotificationFilters]
):
    """The user's notifications, newest first; ``read=0`` the unread ones."""
    rows = filters.filter(notifications_visible_to(request.auth))
    return paginate(
        rows,
        params,
        orderings=NOTIFICATION_ORDERINGS,
        default="-creation",
        search=lambda rows, text: rows.filter(subject__icontains=text),
    )


@router.post("/notifications/mark-all-read", response={200: MarkedOut, **ERRORS})
def mark_all_read(request: ApiRequest):
    return {"marked": mark_all_notifications_read(by=request.auth)}


@router.post("/notifications/{id}/mark-read", response={200: NotificationOut, **ERRORS})
def mark_read(request: ApiRequest, id: int):
    notification = get_notification_for(request.auth, id)
    return mark_notification_read(notification, by=request.auth)


@router.get("/notifications/settings", response={200: NotificationSettingsOut, **ERRORS})
def get_settings(request: ApiRequest):
    return {"email": email_choices(request.auth)}


@router.patch("/notifications/settings", response={200: NotificationSettingsOut, **ERRORS})
def change_settings(request: ApiRequest, payload: NotificationSettingsIn):
    choices = payload.email.model_dump(exclude_none=True)
    return {"email": set_email_choices(choices=choices, by=request.auth)}
