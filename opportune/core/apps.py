from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "opportune.core"
    label = "core"

    def ready(self) -> None:
        from opportune.core import audit_views, import_views, slots

        slots.register_nav_links(audit_views.nav_links)
        slots.register_nav_links(import_views.nav_links)
        # Every app's tasks.py (core's too, with the job door's Huey hooks) registers its
        # durable jobs by name (core.jobs): web processes need them too, to check a name when a
        # job is queued and to run jobs in-process (HUEY_IMMEDIATE). The consumer (run_huey)
        # imports them the same way.
        autodiscover_modules("tasks")
