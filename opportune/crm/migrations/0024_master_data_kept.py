"""Triggers announcing a change of the tables whose rows each process keeps (core.master_cache,
docs/decisions/0047): PostgreSQL only; SQLite reads PRAGMA data_version."""

from django.db import migrations

from opportune.core.master_cache import watch_tables


class Migration(migrations.Migration):
    dependencies = [("crm", "0023_amount_ordering")]

    operations = [
        watch_tables(
            {
                "crm_opportunitytype": (),
                "crm_leadsource": (),
                "crm_campaign": (),
                "crm_salesstage": (),
                "crm_opportunitylostreason": (),
                "crm_competitor": (),
                "crm_crmsettings": (),
            }
        )
    ]
