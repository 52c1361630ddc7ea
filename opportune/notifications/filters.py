"""The notification list's filters: one definition for the page and the API."""

from __future__ import annotations

from typing import Annotated

from ninja.filter_schema import FilterLookup
from pydantic import Field

from opportune.core.filters import FilterSchema
from opportune.notifications.models import Notification

NOTIFICATION_ORDERINGS = ("creation",)


class NotificationFilters(FilterSchema):
    read: Annotated[bool | None, FilterLookup("read"), Field(description="0: unread, 1: read")] = (
        None
    )
    kind: Annotated[
        Notification.Kind | None, FilterLookup("kind"), Field(description="One kind")
    ] = None
