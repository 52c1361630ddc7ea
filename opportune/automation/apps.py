from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "opportune.automation"
    label = "automation"
