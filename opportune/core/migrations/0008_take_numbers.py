"""PostgreSQL's ``opportune_take_numbers``: a sequence's next numbers, the sequence made at its
first use (core.sequences, decision 0040). Nothing on SQLite."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION opportune_take_numbers(seq text, start_after bigint, n integer)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        RETURN QUERY SELECT nextval(seq) FROM generate_series(1, n);
    EXCEPTION WHEN undefined_table THEN
        BEGIN
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', seq, start_after + 1);
        EXCEPTION WHEN unique_violation OR duplicate_table THEN
            NULL;  -- made by another transaction at that moment
        END;
        RETURN QUERY SELECT nextval(seq) FROM generate_series(1, n);
    END;
END
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS opportune_take_numbers(text, bigint, integer)")


class Migration(migrations.Migration):
    dependencies = [("core", "0007_import_jobs")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
