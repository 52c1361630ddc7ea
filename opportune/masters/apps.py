from django.apps import AppConfig


class MastersConfig(AppConfig):
    name = "opportune.masters"
    label = "masters"

    def ready(self) -> None:
        from opportune.core.items import register_catalog
        from opportune.masters.services import MastersCatalog

        register_catalog(MastersCatalog())
        from opportune.core.master_cache import keep_tables
        from opportune.masters.models import KEPT_TABLES

        keep_tables(KEPT_TABLES)  # every write's checks read them (core.master_cache)
        from opportune.masters import imports

        imports.register()  # what may be imported (core.imports)
