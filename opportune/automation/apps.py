from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "opportune.automation"
    label = "automation"

    def ready(self) -> None:
        from opportune.automation import slots as automation_slots
        from opportune.automation.models import Assignment
        from opportune.core import slots
        from opportune.core.merge import register_collision

        slots.register_nav_links(automation_slots.nav_links)
        from opportune.automation.models import KEPT_TABLES
        from opportune.core.master_cache import keep_tables

        keep_tables(KEPT_TABLES)  # every create reads the rules and their users (core.master_cache)
        from opportune.automation import webhooks

        webhooks.register()  # the assignment event and its payload
        # a merge that would leave a document two open assignments of one user (or two by
        # rules) cancels the merged document's instead of deleting it (core.merge)
        register_collision(Assignment, lambda rows: rows.update(status=Assignment.Status.CANCELLED))
