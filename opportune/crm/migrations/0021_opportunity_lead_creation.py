"""The lead's creation copied on the opportunity (the funnel's median days without a join to
every lead) and two small partial indexes on the history for the records where an opportunity
is Converted (forecast accuracy's won column); decision 0036, docs/performance.md "Reports at
1M, seventh pass"."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

HISTORY = "crm_historicalopportunity"
# the Converted records of a period (by history_date, with what the report sums) and an
# opportunity's Converted records (was it already Converted before this record?): both hold the
# Converted records only, written by the save that converts and by no other
CONVERTED = {
    "postgresql": [
        f"CREATE INDEX opp_history_converted ON {HISTORY} (history_date) INCLUDE "
        "(name, history_id, history_type, opportunity_owner_id, base_opportunity_amount) "
        "WHERE status = 'Converted'",
        f"CREATE INDEX opp_history_converted_name ON {HISTORY} (name, history_date, history_id) "
        "WHERE status = 'Converted'",
    ],
    "sqlite": [
        f"CREATE INDEX opp_history_converted ON {HISTORY} (history_date) "
        "WHERE status = 'Converted'",
        f"CREATE INDEX opp_history_converted_name ON {HISTORY} (name, history_date, history_id) "
        "WHERE status = 'Converted'",
    ],
}


# A lead's creation is not edited (editable=False), but a writer may rewrite it without a save:
# the ERPNext import's upsert, a correction of the past (the demo, the tests). The copies of
# that lead follow it in the same statement, whoever wrote it. Only when the creation changes
# (a lead's ordinary save writes every column), and through the partial index opp_lead.
# (SQLite: a later migration that remakes crm_lead drops it; the funnel's hand-computed test,
# which rewrites a lead's creation after its opportunity is made, fails then.)
TRIGGER = "crm_lead_creation_copied"
COPY_CREATION = (
    "UPDATE crm_opportunity SET lead_creation = NEW.creation, lead_creation_of = NEW.name "
    "WHERE lead_id = NEW.name"
)
LEAD_TRIGGER = {
    "postgresql": [
        f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {COPY_CREATION}; RETURN NULL; END $$",
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF creation ON crm_lead FOR EACH ROW "
        f"WHEN (OLD.creation IS DISTINCT FROM NEW.creation) EXECUTE FUNCTION {TRIGGER}()",
    ],
    "sqlite": [
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF creation ON crm_lead FOR EACH ROW "
        f"WHEN OLD.creation IS NOT NEW.creation BEGIN {COPY_CREATION}; END",
    ],
}
DROP_TRIGGER = {
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {TRIGGER} ON crm_lead",
        f"DROP FUNCTION IF EXISTS {TRIGGER}()",
    ],
    "sqlite": [f"DROP TRIGGER IF EXISTS {TRIGGER}"],
}


def add_lead_trigger(apps, schema_editor):
    for sql in LEAD_TRIGGER.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_lead_trigger(apps, schema_editor):
    for sql in DROP_TRIGGER.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def copy_lead_creation(apps, schema_editor):
    Opportunity = apps.get_model("crm", "Opportunity")
    Lead = apps.get_model("crm", "Lead")
    Opportunity.objects.filter(lead__isnull=False).update(
        lead_creation=Subquery(Lead.objects.filter(pk=OuterRef("lead")).values("creation")[:1]),
        lead_creation_of=F("lead"),
    )


def add_history_indexes(apps, schema_editor):
    for sql in CONVERTED.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_history_indexes(apps, schema_editor):
    for name in ("opp_history_converted", "opp_history_converted_name"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0020_board_summary"),
        ("masters", "0003_audit_trail"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_from_lead_creation",
        ),
        migrations.AddField(
            model_name="opportunity",
            name="lead_creation",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="opportunity",
            name="lead_creation_of",
            field=models.CharField(blank=True, editable=False, max_length=140, null=True),
        ),
        migrations.RunPython(copy_lead_creation, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("opportunity_from", "Lead")),
                fields=["creation"],
                include=(
                    "lead",
                    "lead_creation",
                    "lead_creation_of",
                    "opportunity_owner",
                    "owner",
                    "contact_by",
                    "name",
                ),
                name="opp_from_lead_creation",
            ),
        ),
        migrations.RunPython(add_lead_trigger, drop_lead_trigger),
        migrations.RunPython(add_history_indexes, drop_history_indexes),
    ]
