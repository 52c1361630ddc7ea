"""CRM Settings: working hours per weekday, holidays and the first-response target; a partial
index on the Open opportunities still waiting for a first response (issue 10)."""

from django.db import migrations, models

import opportune.crm.models

TARGET_HELP = (
    "An Open opportunity without a first response after this many business minutes is flagged "
    "on the list and the home page; empty: never."
)


def _fields(model_name: str) -> list[migrations.AddField]:
    return [
        migrations.AddField(
            model_name=model_name,
            name="first_response_target_minutes",
            field=models.PositiveIntegerField(
                blank=True,
                help_text=TARGET_HELP,
                null=True,
                verbose_name="first response target (business minutes)",
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="holidays",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name=model_name,
            name="working_hours",
            field=models.JSONField(blank=True, default=opportune.crm.models.default_working_hours),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("crm", "0010_opportunity_business_mins_to_first_response")]

    operations = [
        *_fields("crmsettings"),
        *_fields("historicalcrmsettings"),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("first_responded_on__isnull", True), ("status", "Open")),
                fields=["creation"],
                name="opp_awaiting_response",
            ),
        ),
    ]
