from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opportune.core"
    label = "core"
