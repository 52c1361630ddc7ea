from django.apps import AppConfig


class SellingConfig(AppConfig):
    name = "opportune.selling"
    label = "selling"

    def ready(self) -> None:
        from opportune.core import slots
        from opportune.crm.status import register_quotation_probe
        from opportune.selling import slots as selling_slots
        from opportune.selling.status import SellingQuotationProbe

        register_quotation_probe(SellingQuotationProbe())
        slots.register_nav_links(selling_slots.nav_links)
        slots.register_document_actions("Opportunity", selling_slots.opportunity_actions)
        slots.register_linked_documents("Opportunity", selling_slots.opportunity_documents)
