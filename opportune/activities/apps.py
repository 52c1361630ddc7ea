from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "opportune.activities"
    label = "activities"

    def ready(self) -> None:
        from opportune.activities.activity_views import HOME_SECTION
        from opportune.activities.views import nav_links
        from opportune.core import slots
        from opportune.core.views import register_home_section

        slots.register_nav_links(nav_links)
        register_home_section(HOME_SECTION)  # my activities: overdue, today, upcoming
