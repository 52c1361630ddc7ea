"""PostgreSQL's ``opportune_take_numbers``: a sequence's next numbers, the sequence made at its
first use, and moved past its owner's counter when that ran ahead (core.sequences, decision
0040). Nothing on SQLite."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION opportune_take_numbers(seq text, start_after bigint, n integer)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    first bigint;
BEGIN
    BEGIN
        first := nextval(seq);
    EXCEPTION WHEN undefined_table THEN
        BEGIN
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', seq, start_after + 1);
        EXCEPTION WHEN unique_violation OR duplicate_table THEN
            NULL;  -- made by another transaction at that moment
        END;
        first := nextval(seq);
    END;
    IF first <= start_after THEN  -- the counter ran ahead (numbers taken without the sequence)
        PERFORM setval(seq, start_after);
        first := nextval(seq);
    END IF;
    RETURN NEXT first;
    IF n > 1 THEN
        RETURN QUERY SELECT nextval(seq) FROM generate_series(2, n);
    END IF;
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
