"""Covering indexes for the board and pipeline aggregates; trigram indexes for text search.

The list search (crm.filters.search_opportunities) is ``icontains`` on name, title, party_name
and contact_email, which Django sends to PostgreSQL as ``UPPER(col::text) LIKE UPPER('%q%')``:
no b-tree can answer it, so at a million rows it scanned the table (seconds). A GIN trigram
index on exactly that expression lets PostgreSQL answer it from the indexes (BitmapOr).
PostgreSQL only (pg_trgm); on SQLite the search stays a scan (see docs/performance.md).
The indexes are built CONCURRENTLY, so the migration does not block writes on a big table.
"""

from django.db import migrations, models

TRIGRAM_COLUMNS = ("name", "title", "party_name", "contact_email")


def _trigram_index(column: str) -> str:
    return f"opp_{column}_trgm"


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{_trigram_index(column)}" '
            f'ON "crm_opportunity" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{_trigram_index(column)}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("crm", "0002_default_crm_data"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="opportunity",
            name="opp_closing_status",
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["status", "sales_stage", "probability", "base_opportunity_amount"],
                name="opp_board",
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["expected_closing", "status", "sales_stage", "probability",
                        "base_opportunity_amount"],
                name="opp_closing_pipeline",
            ),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
