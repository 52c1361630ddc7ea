"""Admin: webhooks and their deliveries, read-only (they change through the API, whose
service checks the URL and keeps the subscriptions in step); secrets are never shown."""

from __future__ import annotations

from django.contrib import admin

from opportune.core.admin import ViewOnlyAdmin
from opportune.webhooks.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(ViewOnlyAdmin):
    list_display = ("name", "url", "enabled", "modified")
    list_filter = ("enabled",)
    search_fields = ("name", "url")
    exclude = ("secret_encrypted",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ViewOnlyAdmin):
    list_display = ("pk", "webhook", "event", "status", "attempts", "response_status", "created")
    list_filter = ("status", "event")
    list_select_related = ("webhook",)
