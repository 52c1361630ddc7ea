from django.apps import AppConfig


class BuyingConfig(AppConfig):
    name = "opportune.buying"
    label = "buying"

    def ready(self) -> None:
        from opportune.buying.models import Supplier
        from opportune.crm.services import register_contact_party

        register_contact_party("Supplier", Supplier)
