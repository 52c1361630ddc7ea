from django.db import migrations, models


class Migration(migrations.Migration):
    """Partial covering indexes for the lost-opportunities and first-response reports
    (docs/performance.md, "Reports")."""

    dependencies = [("crm", "0012_crm_settings_business_hours")]

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
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("mins_to_first_response__gt", 0)),
                fields=["creation"],
                include=(
                    "mins_to_first_response",
                    "business_mins_to_first_response",
                    "opportunity_owner",
                ),
                name="opp_first_response",
            ),
        ),
    ]
