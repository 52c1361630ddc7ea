from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "opportune.automation"
    label = "automation"

    def ready(self) -> None:
        from opportune.automation import slots as automation_slots
        from opportune.core import slots

        slots.register_nav_links(automation_slots.nav_links)
        from opportune.automation import webhooks

        webhooks.register()  # the assignment event and its payload
