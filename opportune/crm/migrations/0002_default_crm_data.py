from django.db import migrations

from opportune.crm.defaults import load_crm_defaults


def forwards(apps, schema_editor):
    load_crm_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial"), ("masters", "0002_default_masters")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
