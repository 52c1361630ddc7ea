from django.apps import AppConfig


class MastersConfig(AppConfig):
    name = "opportune.masters"
    label = "masters"

    def ready(self) -> None:
        from opportune.core.items import register_catalog
        from opportune.masters.services import MastersCatalog

        register_catalog(MastersCatalog())
        from opportune.masters import imports

        imports.register()  # what may be imported (core.imports)
