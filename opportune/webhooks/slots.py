"""What webhooks shows on pages of lower apps: the Webhooks entry of the navigation, for
managers (registered in ``WebhooksConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from opportune.core.slots import NavLink
from opportune.webhooks import access


def nav_links(user: Any) -> list[NavLink]:
    if not access.can_manage_webhooks(user):
        return []
    return [NavLink("Webhooks", reverse("webhooks:webhook_list"), ("/webhooks/",), 95)]
