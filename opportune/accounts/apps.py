from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "opportune.accounts"
    label = "accounts"

    def ready(self) -> None:
        from opportune.accounts.roles import is_manager
        from opportune.core.audit import register_auditor_rule
        from opportune.core.saved_views import register_sharer_rule

        # The audit log and the deleted documents are for Sales Managers (and superusers).
        register_auditor_rule(is_manager)
        # Sharing a saved view with the team: managers too (decision 0027).
        register_sharer_rule(is_manager)
