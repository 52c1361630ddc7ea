"""The board's per-(stage, status) figures from the summary (crm.models.StageTotal, decision
0034): read, compacted, rebuilt.

Triggers on crm_opportunity (migration 0020) append the deltas in the transaction of each write,
so nothing here runs on a write. ``stage_totals`` sums them by key (a few dozen compacted rows
plus the deltas since the last compaction); ``compact_stage_totals`` (a scheduled job, crm.tasks)
folds the deltas into one row per key without blocking writers; ``rebuild_stage_totals`` (the
``rebuild_stage_totals`` command) recomputes them from the table, after a restore or a direct
load that bypassed the triggers."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum

from opportune.crm.models import StageTotal

_COLUMNS = "sales_stage, status, count, amount, weighted"


def stage_totals(
    statuses: Iterable[str] | None, by: str
) -> dict[str | None, dict[str, Decimal | int]]:
    """Count, amount and weighted amount of every opportunity in ``statuses`` (None: all), by
    ``by`` ("sales_stage" or "status"), exactly as a GROUP BY over crm_opportunity would answer
    it; keys whose rows are all gone are left out."""
    rows = StageTotal.objects.all()
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    totals: dict[str | None, dict[str, Decimal | int]] = {}
    for row in rows.values(by).annotate(c=Sum("count"), a=Sum("amount"), w=Sum("weighted")):
        if row["c"]:
            totals[row[by]] = {"count": int(row["c"]), "amount": row["a"], "weighted": row["w"]}
    return totals


def compact_stage_totals() -> int:
    """Fold every delta into one row per (stage, status); answers the rows removed.

    PostgreSQL: one statement, so it folds exactly the deltas it deletes (those committed when it
    starts; a write committing meanwhile keeps its delta for the next run), and takes no lock a
    writer waits on (writers only insert). SQLite: one writer at a time, ids only grow."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH gone AS (DELETE FROM crm_stagetotal RETURNING {_COLUMNS}),
                folded AS (
                  INSERT INTO crm_stagetotal ({_COLUMNS})
                  SELECT sales_stage, status, SUM(count), SUM(amount), SUM(weighted) FROM gone
                  GROUP BY sales_stage, status
                  HAVING SUM(count) <> 0 OR SUM(amount) <> 0 OR SUM(weighted) <> 0
                  RETURNING 1
                )
                SELECT (SELECT COUNT(*) FROM gone) - (SELECT COUNT(*) FROM folded)
                """
            )
            return int(cursor.fetchone()[0])
        cursor.execute("SELECT MAX(id), COUNT(*) FROM crm_stagetotal")
        last, before = cursor.fetchone()
        if last is None:
            return 0
        cursor.execute(
            f"""
            INSERT INTO crm_stagetotal ({_COLUMNS})
            SELECT sales_stage, status, SUM(count), SUM(amount), SUM(weighted)
            FROM crm_stagetotal WHERE id <= %s GROUP BY sales_stage, status
            HAVING SUM(count) <> 0 OR SUM(amount) <> 0 OR SUM(weighted) <> 0
            """,
            [last],
        )
        added = cursor.rowcount
        cursor.execute("DELETE FROM crm_stagetotal WHERE id <= %s", [last])
        return int(cursor.rowcount - added)


def rebuild_stage_totals() -> int:
    """Recompute the summary from crm_opportunity; answers the keys written. On PostgreSQL the
    table is locked against writes (SHARE) for the few seconds it takes at a million rows."""
    hundred = "100" if connection.vendor == "postgresql" else "100.0"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE crm_opportunity IN SHARE MODE")
        cursor.execute("DELETE FROM crm_stagetotal")
        cursor.execute(
            f"""
            INSERT INTO crm_stagetotal ({_COLUMNS})
            SELECT sales_stage_id, status, COUNT(*), SUM(base_opportunity_amount),
                   SUM(base_opportunity_amount * probability / {hundred})
            FROM crm_opportunity GROUP BY sales_stage_id, status
            """
        )
        return int(cursor.rowcount)
