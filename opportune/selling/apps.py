from django.apps import AppConfig


class SellingConfig(AppConfig):
    name = "opportune.selling"
    label = "selling"
