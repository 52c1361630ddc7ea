from django.apps import AppConfig


class BuyingConfig(AppConfig):
    name = "opportune.buying"
    label = "buying"
