from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opportune.core"
    label = "core"

    def ready(self) -> None:
        from opportune.core import slots, tasks  # tasks: the job door's Huey hooks, everywhere
        from opportune.core.audit_views import nav_links

        assert tasks.enter_job_door is not None
        slots.register_nav_links(nav_links)
