"""JSON shapes of the notifications API."""

from __future__ import annotations

from ninja import ModelSchema, Schema
from pydantic import ConfigDict

from opportune.notifications.models import Notification


class NotificationOut(ModelSchema):
    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "link",
            "reference_type",
            "reference_name",
            "read",
            "creation",
        ]


class MarkedOut(Schema):
    marked: int  # how many were unread


class EmailChoices(Schema):
    """Which kinds of notification also come by email."""

    assignment: bool
    reminder: bool
    mention: bool
    auto_close: bool
    digest: bool


class EmailChoicesIn(Schema):
    """The kinds named change; the others keep their choice."""

    model_config = ConfigDict(extra="forbid")

    assignment: bool | None = None
    reminder: bool | None = None
    mention: bool | None = None
    auto_close: bool | None = None
    digest: bool | None = None


class NotificationSettingsOut(Schema):
    email: EmailChoices


class NotificationSettingsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: EmailChoicesIn
