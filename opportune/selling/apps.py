from django.apps import AppConfig


class SellingConfig(AppConfig):
    name = "opportune.selling"
    label = "selling"

    def ready(self) -> None:
        from opportune.core import slots
        from opportune.core.timeline import history_source, register_source
        from opportune.crm.status import register_quotation_probe
        from opportune.selling import slots as selling_slots
        from opportune.selling.models import Quotation, SalesOrder
        from opportune.selling.status import SellingQuotationProbe

        register_quotation_probe(SellingQuotationProbe())
        for model in (Quotation, SalesOrder):
            register_source(model.doctype, history_source(model))
        slots.register_nav_links(selling_slots.nav_links)
        from opportune.selling import webhooks

        webhooks.register()  # the quotation event and its payload
        slots.register_document_actions("Opportunity", selling_slots.opportunity_actions)
        slots.register_linked_documents("Opportunity", selling_slots.opportunity_documents)
        from opportune.selling import searchables

        searchables.register()  # in the global search (core.search)
        from opportune.core.saved_views_pages import register_list

        register_list("quotations", url_name="selling:quotation_list")
        register_list("sales-orders", url_name="selling:sales_order_list")
        from opportune.selling import imports

        imports.register()  # what may be imported (core.imports)
