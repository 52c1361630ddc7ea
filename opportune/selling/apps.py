from django.apps import AppConfig


class SellingConfig(AppConfig):
    name = "opportune.selling"
    label = "selling"

    def ready(self) -> None:
        from opportune.crm.status import register_quotation_probe
        from opportune.selling.status import SellingQuotationProbe

        register_quotation_probe(SellingQuotationProbe())
