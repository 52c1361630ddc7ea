from django.db import migrations

from opportune.masters.defaults import load_master_defaults


def forwards(apps, schema_editor):
    load_master_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("masters", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
