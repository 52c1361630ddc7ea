from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "opportune.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from opportune.core import slots
        from opportune.webhooks import slots as webhook_slots

        slots.register_nav_links(webhook_slots.nav_links)
