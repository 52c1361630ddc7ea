"""The opportunity table's index diet (decision 0022): from 32 indexes to 13 on PostgreSQL.

Gone: the four trigram indexes (the text search reads core.SearchEntry, filled here from the
table), the single-column indexes of the audit columns and of the master links nothing filters
at scale, the composite (type|source|territory, status) ones, the b-trees of party_name,
contact_email and amount, and PostgreSQL's ``varchar_pattern_ops`` twin of the primary key.
The board's covering index and the auto-close one hold only the rows they are read for."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

TRIGRAM_COLUMNS = ("name", "title", "party_name", "contact_email")
SEARCH_FIELDS = ("title", "party_name", "contact_email")  # after the name, as the model keeps them


def drop_text_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "opp_{column}_trgm"')
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'crm_opportunity' "
            "AND indexname LIKE %s",
            ["crm_opportunity_name_%_like"],
        )
        for (index,) in cursor.fetchall():
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


def add_text_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "crm_opportunity_name_like" '
        'ON "crm_opportunity" ("name" varchar_pattern_ops)'
    )
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "opp_{column}_trgm" '
            f'ON "crm_opportunity" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def fill_search_entries(apps, schema_editor):
    """One entry per opportunity, its text as SearchEntry.text_of writes it (the non-empty
    values joined by new lines), in one INSERT ... SELECT."""
    text = "name" + "".join(f" || COALESCE(%s || NULLIF({f}, ''), '')" for f in SEARCH_FIELDS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_searchentry (doctype, name, text) "
            f"SELECT 'Opportunity', name, {text} FROM crm_opportunity",
            ["\n"] * len(SEARCH_FIELDS),
        )


def drop_search_entries(apps, schema_editor):
    apps.get_model("core", "SearchEntry").objects.filter(doctype="Opportunity").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0013_opp_lost_modified"),
        ("core", "0005_search_entry"),
        ("masters", "0003_audit_trail"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_type_status",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_source_status",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_territory_status",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_status_replied",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_amount",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_board",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_party_name",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_contact_email",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_campaign",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_currency",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_contact_person",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_customer_group",
        ),
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_industry",
        ),
        migrations.AlterField(
            model_name="opportunity",
            name="creation",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="opportunity",
            name="modified",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="opportunity",
            name="modified_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("status__in", ["Open", "Replied", "Quotation"])),
                fields=["status", "sales_stage", "probability", "base_opportunity_amount"],
                name="opp_board",
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("status", "Replied")), fields=["replied_on"], name="opp_replied"
            ),
        ),
        migrations.RunPython(drop_text_indexes, add_text_indexes, elidable=False),
        migrations.RunPython(fill_search_entries, drop_search_entries, elidable=False),
    ]
