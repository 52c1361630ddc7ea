from django.db import migrations, models


class Migration(migrations.Migration):
    """A partial covering index for the lost-opportunities report (docs/performance.md)."""

    dependencies = [("crm", "0010_opportunity_business_mins_to_first_response")]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("status", "Lost")),
                fields=["modified"],
                include=("name", "base_opportunity_amount", "opportunity_owner", "territory"),
                name="opp_lost_modified",
            ),
        ),
    ]
