from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "opportune.comms"
    label = "comms"
    verbose_name = "Communications"
