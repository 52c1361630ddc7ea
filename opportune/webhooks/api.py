"""JSON API of the webhooks (managers only; others 403): CRUD of ``webhooks`` (the secret
answered once, on create), their deliveries, a test ping, and a delivery's retry."""

# No ``from __future__ import annotations``: ninja reads the views' annotations as classes.

from typing import Any

from ninja import Query, Router, Status

from opportune.accounts.auth import API_AUTH
from opportune.core.api import ApiRequest, ListParams, paginate, version_from
from opportune.core.api_documents import created, no_content, ok, page, payload_data
from opportune.core.api_gate import gated
from opportune.webhooks import access, services
from opportune.webhooks.models import Webhook
from opportune.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookCreatedOut,
    WebhookOut,
    WebhookPatch,
)

router = Router(tags=["webhooks"])
MANAGERS_ONLY = gated(API_AUTH, access.can_manage_webhooks, "Only managers handle webhooks.")


@router.get("/webhooks", auth=MANAGERS_ONLY, response=page(WebhookOut))
def list_webhooks(request: ApiRequest, params: Query[ListParams]) -> dict[str, Any]:
    webhooks = Webhook.objects.select_related("owner")
    return paginate(webhooks, params, orderings=("name", "modified"), default="name")


@router.post("/webhooks", auth=MANAGERS_ONLY, response=created(WebhookCreatedOut))
def create_webhook(request: ApiRequest, payload: WebhookCreate) -> Status[Any]:
    webhook, _secret = services.create_webhook(data=payload_data(payload), by=request.auth)
    return Status(201, webhook)  # WebhookCreatedOut reads the secret back: this once


@router.get("/webhooks/{name}", auth=MANAGERS_ONLY, response=ok(WebhookOut))
def get_webhook(request: ApiRequest, name: str) -> Webhook:
    return access.get_webhook_for(request.auth, name)


@router.patch("/webhooks/{name}", auth=MANAGERS_ONLY, response=ok(WebhookOut))
def update_webhook(request: ApiRequest, name: str, payload: WebhookPatch) -> Any:
    webhook = access.get_webhook_for(request.auth, name)
    return services.update_webhook(
        webhook,
        data=payload_data(payload),
        version=version_from(request, payload.version),
        by=request.auth,
    )


@router.delete("/webhooks/{name}", auth=MANAGERS_ONLY, response=no_content())
def delete_webhook(request: ApiRequest, name: str) -> Status[None]:
    services.delete_webhook(access.get_webhook_for(request.auth, name), by=request.auth)
    return Status(204, None)


@router.get("/webhooks/{name}/deliveries", auth=MANAGERS_ONLY, response=page(DeliveryOut))
def list_deliveries(request: ApiRequest, name: str, params: Query[ListParams]) -> dict[str, Any]:
    webhook = access.get_webhook_for(request.auth, name)
    deliveries = webhook.deliveries.select_related("webhook")
    return paginate(deliveries, params, orderings=("created",), default="-created")


@router.post("/webhooks/{name}/test", auth=MANAGERS_ONLY, response=created(DeliveryOut))
def test_webhook(request: ApiRequest, name: str) -> Status[Any]:
    webhook = access.get_webhook_for(request.auth, name)
    return Status(201, services.send_test(webhook, by=request.auth))


@router.post("/webhook-deliveries/{id}/retry", auth=MANAGERS_ONLY, response=ok(DeliveryOut))
def retry_delivery(request: ApiRequest, id: int) -> Any:
    delivery = access.get_delivery_for(request.auth, id)
    return services.retry_delivery(delivery, by=request.auth)
