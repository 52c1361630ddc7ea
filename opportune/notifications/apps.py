from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "opportune.notifications"
    label = "notifications"

    def ready(self) -> None:
        from opportune.core.slots import register_header_section, register_profile_section
        from opportune.notifications.sections import BELL, EMAIL_CHOICES

        register_header_section(BELL)
        register_profile_section(EMAIL_CHOICES)
