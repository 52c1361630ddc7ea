"""The board's summary (docs/decisions/0034-board-summary.md): crm_stagetotal, append-only
deltas per (stage, status) written by triggers on crm_opportunity in the transaction of every
write, built here from the table as it stands; and the index the board's cards read."""

from django.db import migrations, models

# PostgreSQL: statement-level triggers with transition tables, so a bulk statement (an import's
# chunk, the auto-close job's UPDATE, a merge) adds one aggregated row per key it touched, and a
# one-row write one row per key; an UPDATE that changes none of the four columns nets to zero
# and inserts nothing (HAVING).
_PG_KEYS = "sales_stage_id, status"
_PG_SUMS = (
    "COUNT(*), SUM(base_opportunity_amount), SUM(base_opportunity_amount * probability / 100)"
)
POSTGRESQL = f"""
CREATE FUNCTION crm_stage_total_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO crm_stagetotal (sales_stage, status, count, amount, weighted)
  SELECT {_PG_KEYS}, {_PG_SUMS} FROM new_rows GROUP BY {_PG_KEYS};
  RETURN NULL;
END $$;
CREATE FUNCTION crm_stage_total_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO crm_stagetotal (sales_stage, status, count, amount, weighted)
  SELECT {_PG_KEYS}, -COUNT(*), -SUM(base_opportunity_amount),
         -SUM(base_opportunity_amount * probability / 100)
  FROM old_rows GROUP BY {_PG_KEYS};
  RETURN NULL;
END $$;
CREATE FUNCTION crm_stage_total_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO crm_stagetotal (sales_stage, status, count, amount, weighted)
  SELECT sales_stage_id, status, SUM(n), SUM(amount), SUM(weighted) FROM (
    SELECT sales_stage_id, status, 1 AS n, base_opportunity_amount AS amount,
           base_opportunity_amount * probability / 100 AS weighted FROM new_rows
    UNION ALL
    SELECT sales_stage_id, status, -1, -base_opportunity_amount,
           -(base_opportunity_amount * probability / 100) FROM old_rows
  ) AS changes
  GROUP BY sales_stage_id, status
  HAVING SUM(n) <> 0 OR SUM(amount) <> 0 OR SUM(weighted) <> 0;
  RETURN NULL;
END $$;
CREATE TRIGGER crm_stage_total_insert AFTER INSERT ON crm_opportunity
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION crm_stage_total_insert();
CREATE TRIGGER crm_stage_total_delete AFTER DELETE ON crm_opportunity
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION crm_stage_total_delete();
CREATE TRIGGER crm_stage_total_update AFTER UPDATE ON crm_opportunity
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION crm_stage_total_update();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS crm_stage_total_insert ON crm_opportunity;
DROP TRIGGER IF EXISTS crm_stage_total_delete ON crm_opportunity;
DROP TRIGGER IF EXISTS crm_stage_total_update ON crm_opportunity;
DROP FUNCTION IF EXISTS crm_stage_total_insert();
DROP FUNCTION IF EXISTS crm_stage_total_delete();
DROP FUNCTION IF EXISTS crm_stage_total_update();
"""

# SQLite: row triggers (SQLite has no statement triggers); an UPDATE row trigger fires only when
# one of the four columns changed. Decimals are stored as SQLite numbers: 100.0, not 100, so
# that two whole numbers do not divide as integers.
_NEW = "NEW.sales_stage_id, NEW.status, 1, NEW.base_opportunity_amount, NEW.base_opportunity_amount * NEW.probability / 100.0"  # noqa: E501
_OLD = "OLD.sales_stage_id, OLD.status, -1, -OLD.base_opportunity_amount, -(OLD.base_opportunity_amount * OLD.probability / 100.0)"  # noqa: E501
_INTO = "INSERT INTO crm_stagetotal (sales_stage, status, count, amount, weighted) VALUES"
SQLITE = [
    f"""CREATE TRIGGER crm_stage_total_insert AFTER INSERT ON crm_opportunity
    BEGIN {_INTO} ({_NEW}); END""",
    f"""CREATE TRIGGER crm_stage_total_delete AFTER DELETE ON crm_opportunity
    BEGIN {_INTO} ({_OLD}); END""",
    f"""CREATE TRIGGER crm_stage_total_update AFTER UPDATE ON crm_opportunity
    WHEN OLD.status IS NOT NEW.status OR OLD.sales_stage_id IS NOT NEW.sales_stage_id
      OR OLD.base_opportunity_amount IS NOT NEW.base_opportunity_amount
      OR OLD.probability IS NOT NEW.probability
    BEGIN {_INTO} ({_OLD}), ({_NEW}); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS crm_stage_total_insert",
    "DROP TRIGGER IF EXISTS crm_stage_total_delete",
    "DROP TRIGGER IF EXISTS crm_stage_total_update",
]

# What the table holds now, one row per key (the same as crm.stage_totals.rebuild_stage_totals).
BUILD = """
INSERT INTO crm_stagetotal (sales_stage, status, count, amount, weighted)
SELECT sales_stage_id, status, COUNT(*), SUM(base_opportunity_amount),
       SUM(base_opportunity_amount * probability / {hundred})
FROM crm_opportunity GROUP BY sales_stage_id, status
"""


def install(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL)
            cursor.execute(BUILD.format(hundred="100"))
        else:
            for statement in SQLITE:
                cursor.execute(statement)
            cursor.execute(BUILD.format(hundred="100.0"))


def uninstall(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_DROP)
        else:
            for statement in SQLITE_DROP:
                cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0019_report_rule_columns"),
    ]

    operations = [
        migrations.CreateModel(
            name="StageTotal",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("sales_stage", models.CharField(blank=True, max_length=140, null=True)),
                ("status", models.CharField(max_length=10)),
                ("count", models.BigIntegerField()),
                ("amount", models.DecimalField(decimal_places=4, max_digits=32)),
                ("weighted", models.DecimalField(decimal_places=8, max_digits=34)),
            ],
            options={
                "verbose_name": "board stage total",
            },
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("status__in", ["Open", "Replied", "Quotation"])),
                fields=["sales_stage", "-modified", "-name"],
                name="opp_board_cards",
            ),
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
