from django.db import migrations


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="System Manager")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_apitoken_expires")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
