from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "opportune.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
