from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "opportune.activities"
    label = "activities"
