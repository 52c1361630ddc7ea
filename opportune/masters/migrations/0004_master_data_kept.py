"""Triggers announcing a change of the tables whose rows each process keeps (core.master_cache,
docs/decisions/0047): PostgreSQL only; SQLite reads PRAGMA data_version."""

from django.db import migrations

from opportune.core.master_cache import watch_tables


class Migration(migrations.Migration):
    dependencies = [("masters", "0003_audit_trail")]

    operations = [
        watch_tables(
            {
                "masters_currency": (),
                "masters_currencyexchange": (),
                "masters_uom": (),
                "masters_territory": (),
                "masters_customergroup": (),
                "masters_industry": (),
                "masters_itemgroup": (),
                "masters_item": (),
            }
        )
    ]
