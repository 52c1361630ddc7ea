"""The searchable text of documents in a table of its own (core.search, decision 0022), with
its substring index: trigrams on PostgreSQL (GIN on UPPER(text), which Django's icontains
uses), an FTS5 trigram table kept by triggers on SQLite (when its library has the trigram
tokenizer; otherwise the search reads the table)."""

from django.db import migrations, models

FTS = "core_searchentry_fts"


def add_text_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            'CREATE INDEX IF NOT EXISTS "core_searchentry_text_trgm" ON "core_searchentry" '
            'USING gin ((UPPER("text")) gin_trgm_ops)'
        )
    elif vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            try:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE {FTS} USING fts5(text, content='core_searchentry', "
                    "content_rowid='id', tokenize='trigram')"
                )
            except Exception:  # an SQLite without FTS5 or its trigram tokenizer (< 3.34)
                return
        for statement in (
            f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON core_searchentry BEGIN "
            f"INSERT INTO {FTS}(rowid, text) VALUES (new.id, new.text); END",
            f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON core_searchentry BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.id, old.text); END",
            f"CREATE TRIGGER {FTS}_au AFTER UPDATE ON core_searchentry BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.id, old.text); "
            f"INSERT INTO {FTS}(rowid, text) VALUES (new.id, new.text); END",
        ):
            schema_editor.execute(statement)


def drop_text_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "core_searchentry_text_trgm"')
    elif vendor == "sqlite":
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_schedule_state"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("doctype", models.CharField(max_length=40)),
                ("name", models.CharField(max_length=140)),
                ("text", models.TextField()),
            ],
            options={
                "verbose_name_plural": "search entries",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("doctype", "name"), name="core_searchentry_document"
                    )
                ],
            },
        ),
        migrations.RunPython(add_text_index, drop_text_index, elidable=False),
    ]
