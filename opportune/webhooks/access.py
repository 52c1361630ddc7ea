"""Who may do what with webhooks: managers (and administrators) only; others get 403 from the
API's gate, and a webhook or delivery that does not exist answers 404."""

from __future__ import annotations

from typing import Any

from opportune.accounts.roles import is_manager
from opportune.core.errors import NotFoundError
from opportune.webhooks.models import Webhook, WebhookDelivery


def can_manage_webhooks(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or is_manager(user)


def get_webhook_for(user: Any, name: str) -> Webhook:
    found = Webhook.objects.filter(name=name).select_related("owner")
    webhook = found.first() if can_manage_webhooks(user) else None
    if webhook is None:
        raise NotFoundError(f"Webhook {name[:100]} not found.")
    return webhook


def get_delivery_for(user: Any, delivery_id: int) -> WebhookDelivery:
    found = None
    if can_manage_webhooks(user):
        found = WebhookDelivery.objects.filter(pk=delivery_id).select_related("webhook").first()
    if found is None:
        raise NotFoundError(f"Webhook delivery {delivery_id} not found.")
    return found
