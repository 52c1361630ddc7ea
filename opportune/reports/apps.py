from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "opportune.reports"
    label = "reports"

    def ready(self) -> None:
        from opportune.core import slots
        from opportune.core.views import register_home_section
        from opportune.reports import dashboard

        slots.register_nav_links(dashboard.nav_links)
        for section in dashboard.SECTIONS:
            register_home_section(section)
