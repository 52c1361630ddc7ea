from django.apps import AppConfig


class MastersConfig(AppConfig):
    name = "opportune.masters"
    label = "masters"
