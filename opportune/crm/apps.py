from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "opportune.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from opportune.core.timeline import history_source, register_source
        from opportune.crm.models import Contact, Customer, Lead, Opportunity

        for model in (Opportunity, Lead, Customer, Contact):
            register_source(model.doctype, history_source(model))

        from opportune.core.company import register_company_settings
        from opportune.crm.models import CRMSettings

        # django-stubs reads a field with a default as nullable (company_currency_id: str | None).
        register_company_settings(CRMSettings.load)  # type: ignore[arg-type]

        from opportune.core.views import register_home_section
        from opportune.crm.views.dashboard import SECTIONS

        for section in SECTIONS:
            register_home_section(section)

        from opportune.crm.assignment import register

        register()  # Opportunity and Lead for the assignment rules
        from opportune.crm import communications

        communications.register()  # what email threads onto, and its effects (comms)
        from opportune.crm import webhooks

        webhooks.register()  # the opportunity events and their payload
        from django.urls import reverse

        from opportune.activities.references import register_reference_url

        register_reference_url(
            Opportunity.doctype, lambda name: reverse("crm:opportunity_detail", args=[name])
        )
        from opportune.crm import searchables

        searchables.register()  # in the global search (core.search)
        from opportune.crm import imports

        imports.register()  # what may be imported (core.imports)
