from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "opportune.notifications"
    label = "notifications"
