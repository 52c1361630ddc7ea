from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "opportune.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from opportune.core.timeline import history_source, register_source  # noqa: PLC0415
        from opportune.crm.models import Customer, Lead, Opportunity  # noqa: PLC0415

        for model in (Opportunity, Lead, Customer):
            register_source(model.doctype, history_source(model))
