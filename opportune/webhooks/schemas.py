"""The webhooks API's shapes: the secret is write-only, answered once when a webhook is made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from opportune.core.schemas import StrictIn, VersionIn


class WebhookOut(Schema):
    name: str
    url: str
    events: list[str]
    enabled: bool
    description: str
    owner: str | None
    version: int
    created: datetime
    modified: datetime

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return obj.owner.get_username() if obj.owner_id else None


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(..., description="The signing secret: answered this once, keep it.")


class WebhookFields(StrictIn):
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, max_length=50)
    enabled: bool | None = None
    description: str | None = Field(None, max_length=10000)
    secret: str | None = Field(
        None, min_length=16, max_length=200, description="Write-only; made for you when left out"
    )


class WebhookCreate(WebhookFields):
    name: str = Field(..., min_length=1, max_length=140)
    url: str = Field(..., max_length=2000)
    events: list[str] = Field(..., min_length=1, max_length=50)


class WebhookPatch(VersionIn, WebhookFields):
    name: str | None = Field(None, min_length=1, max_length=140)


class AttemptOut(Schema):
    attempt: int
    at: datetime
    response_status: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    webhook: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    response_status: int | None
    response_body: str
    last_error: str
    created: datetime
    sent_at: datetime | None
    payload: dict[str, Any]
    log: list[AttemptOut]

    @staticmethod
    def resolve_webhook(obj: Any) -> str:
        return str(obj.webhook.name)
