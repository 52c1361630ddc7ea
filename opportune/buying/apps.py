from django.apps import AppConfig


class BuyingConfig(AppConfig):
    name = "opportune.buying"
    label = "buying"

    def ready(self) -> None:
        from opportune.buying import slots as buying_slots
        from opportune.buying.models import RequestForQuotation, Supplier, SupplierQuotation
        from opportune.core import slots
        from opportune.core.timeline import history_source, register_source
        from opportune.crm.services import register_contact_party

        register_contact_party("Supplier", Supplier)
        for model in (SupplierQuotation, RequestForQuotation, Supplier):
            register_source(model.doctype, history_source(model))
        slots.register_nav_links(buying_slots.nav_links)
        slots.register_document_actions("Opportunity", buying_slots.opportunity_actions)
        slots.register_linked_documents("Opportunity", buying_slots.opportunity_documents)
        from opportune.buying import searchables

        searchables.register()  # in the global search (core.search)
        from opportune.core.saved_views_pages import register_list

        register_list("suppliers", url_name="buying:supplier_list")
        register_list("supplier-quotations", url_name="buying:supplier_quotation_list")
        register_list("requests-for-quotation", url_name="buying:rfq_list")
