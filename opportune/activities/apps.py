from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "opportune.activities"
    label = "activities"

    def ready(self) -> None:
        from opportune.activities.views import nav_links
        from opportune.core import slots

        slots.register_nav_links(nav_links)
