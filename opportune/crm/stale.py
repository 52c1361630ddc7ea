"""Stale deals (Odoo's "rotting"): an Open or Replied opportunity whose stage has
``stale_after_days`` and that nobody has changed for longer than that.

"Changed" is ``modified``: any accepted edit, a status change, a move on the board or a
quotation event touches it (docs/decisions/0015-auto-close-and-stale.md says why not a
dedicated stage clock). Both the condition and the number of days are SQL expressions on the
opportunity and its joined stage, so a list, the board and the home page compute them in the
query that reads the rows, never with a query per row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    DateTimeField,
    F,
    Field,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan

from opportune.crm.models import Opportunity, SalesStage

STALE_STATUSES = (Opportunity.Status.OPEN, Opportunity.Status.REPLIED)


class DaysSince(Func):
    """Days from ``when`` (a column) to ``now`` (a value): with their fraction, or whole
    (rounded down) when ``whole``."""

    def __init__(self, when: Any, now: datetime, *, whole: bool = False) -> None:
        output: Field[Any, Any] = IntegerField() if whole else FloatField()
        super().__init__(when, Value(now, output_field=DateTimeField()), output_field=output)
        self.whole = whole

    def _days(self, compiler: Any, sqlite: bool) -> tuple[str, tuple[Any, ...]]:
        (when, when_params), (now, now_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        if sqlite:
            sql = f"(julianday({now}) - julianday({when}))"
            sql = f"CAST({sql} AS INTEGER)" if self.whole else sql
        else:
            sql = f"(EXTRACT(EPOCH FROM ({now} - {when})) / 86400.0)"
            sql = f"FLOOR{sql}::integer" if self.whole else sql
        return sql, (*now_params, *when_params)

    def as_sql(  # PostgreSQL
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        return self._days(compiler, sqlite=False)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self._days(compiler, sqlite=True)


def is_stale(now: datetime) -> Q:
    """The opportunities that are stale at ``now``: untouched for more than their stage's days."""
    stale = Q(
        GreaterThan(DaysSince("modified", now), F("sales_stage__stale_after_days")),
        status__in=STALE_STATUSES,
        sales_stage__stale_after_days__isnull=False,
    )
    if connection.vendor == "postgresql":
        # The same condition, weaker but on the opportunity alone: untouched for longer than the
        # fewest days of any stage (computed once, as an InitPlan). It makes the rows a range of
        # opp_status_modified instead of a walk over every open deal; with no stage counting
        # days it is NULL and the scan reads nothing (1M opportunities: 3.9 s -> < 1 ms).
        table = connection.ops.quote_name(SalesStage._meta.db_table)
        stale &= Q(
            modified__lt=RawSQL(
                f"(%s::timestamptz - (SELECT MIN(stale_after_days) FROM {table})"
                " * INTERVAL '1 day')",
                (now,),
                output_field=DateTimeField(),
            )
        )
    return stale


def with_stale_days(rows: QuerySet[Opportunity], now: datetime) -> QuerySet[Opportunity]:
    """``rows`` with ``stale_days``: whole days since it was last changed when it is stale at
    ``now``, else None."""
    return rows.annotate(
        stale_days=Case(
            When(is_stale(now), then=DaysSince("modified", now, whole=True)),
            default=None,
            output_field=IntegerField(),
        )
    )
