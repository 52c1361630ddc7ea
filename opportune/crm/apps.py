from functools import partial

from django.apps import AppConfig
from django.urls import reverse


def _page_of(url_name: str, name: str) -> str:
    return reverse(url_name, args=[name])


class CrmConfig(AppConfig):
    name = "opportune.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from opportune.core.timeline import history_source, register_source
        from opportune.crm.models import Contact, Customer, Lead, Opportunity

        for model in (Opportunity, Lead, Customer, Contact):
            register_source(model.doctype, history_source(model))

        from opportune.accounts.lookups import register_user_named

        # the owner filter (crm.filters): the owners' ids read in the list's own statement
        register_user_named(Opportunity._meta.get_field("opportunity_owner"))

        from opportune.core.company import register_company_settings
        from opportune.core.master_cache import keep_tables
        from opportune.crm.models import KEPT_TABLES, CRMSettings

        keep_tables(KEPT_TABLES)  # every write's checks read them (core.master_cache)

        # django-stubs reads a field with a default as nullable (company_currency_id: str | None).
        register_company_settings(CRMSettings.load, CRMSettings.precision_subquery)  # type: ignore[arg-type]

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
        from opportune.activities.references import register_activity_reference
        from opportune.crm import access

        # activities are planned on these (their events and reminders link to their pages);
        # who sees the document sees its activities
        for doctype, page, visible in (
            (Opportunity.doctype, "crm:opportunity_detail", access.opportunities_visible_to),
            (Lead.doctype, "crm:lead_detail", access.leads_visible_to),
            (Customer.doctype, "crm:customer_detail", access.customers_visible_to),
        ):
            register_activity_reference(
                doctype,
                url_of=partial(_page_of, page),
                visible=visible,
            )
        from opportune.crm import searchables

        searchables.register()  # in the global search (core.search)
        from opportune.crm import quick_filters

        quick_filters.register()  # its lists' saved views and quick filters (core)
        from opportune.crm import imports

        imports.register()  # what may be imported (core.imports)
