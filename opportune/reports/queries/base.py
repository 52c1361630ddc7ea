"""What every report shares: the report shape of API.md, periods (a date grouped in SQL, then
folded into months or quarters: docs/performance.md), percentiles computed in SQL on every
database, and user names for the owner columns."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import RowNumber

from opportune.core.company import company_settings

NOT_SET = "Not Set"
MONEY: DecimalField[Any, Any] = DecimalField(max_digits=20, decimal_places=4)


@dataclass(frozen=True)
class Column:
    fieldname: str
    label: str
    fieldtype: str = "Data"  # Data, Link, Date, Int, Float, Currency, Percent

    def as_dict(self) -> dict[str, str]:
        return {"fieldname": self.fieldname, "label": self.label, "fieldtype": self.fieldtype}


@dataclass
class Chart:
    type: str
    labels: list[str]
    datasets: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "labels": self.labels, "datasets": self.datasets}


@dataclass
class Report:
    """API.md's report: columns, rows (dicts by fieldname), a chart and a summary."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    summary: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    # the page links a row (by its value of this field) and each chart bar (drill_keys, in the
    # chart's order; None: no link) to the same report with ``?<drill>=<value>``
    drill: str = ""
    drill_keys: list[str | None] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": [c.as_dict() for c in self.columns],
            "rows": [{k: plain(v) for k, v in row.items()} for row in self.rows],
            "chart": self.chart.as_dict() if self.chart else None,
            "summary": [{k: plain(v) for k, v in s.items()} for s in self.summary],
            "message": self.message,
        }


KEYS_AT_MOST = 10_000  # keys a report carries in one statement (PostgreSQL takes 65,535)


def found_once(rows: QuerySet[Any]) -> QuerySet[Any]:
    """The same rows, found by their keys. A report that queries the same rows several times
    under a sales user's record rule on a linked document (a quotation visible with its
    opportunity: a test against every opportunity the user works, reading their keys from the
    table) pays for the rule once here; its other queries read the keys. More than
    KEYS_AT_MOST rows stay as they are."""
    keys = list(rows.order_by().values_list("pk", flat=True)[: KEYS_AT_MOST + 1])
    if len(keys) > KEYS_AT_MOST:
        return rows
    return rows.model._default_manager.filter(pk__in=keys)


def plain(value: Any) -> Any:
    """A value as JSON carries it: decimals as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def summary_item(label: str, value: Any, fieldtype: str = "Float") -> dict[str, Any]:
    return {"label": label, "value": value, "fieldtype": fieldtype}


# --- money ---------------------------------------------------------------------------------------
def currency() -> tuple[str, int]:
    settings = company_settings()
    return settings.company_currency_id, settings.company_currency.precision


def money(value: Decimal | float | int | None, precision: int) -> Decimal:
    return round(Decimal(value or 0), precision)


# --- periods -------------------------------------------------------------------------------------
def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """The first day of each month from ``start``'s to ``end``'s (at most 120)."""
    out: list[date] = []
    month = month_start(start)
    while month <= end and len(out) < 120:
        out.append(month)
        month = add_months(month, 1)
    return out


def period_key(day: date, range_: str) -> str:
    """A date's period label: ``2026-03`` (monthly) or ``2026-Q1`` (quarterly)."""
    if range_ == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def periods_between(start: date, end: date, range_: str) -> list[str]:
    keys: list[str] = []
    for month in months_between(start, end):
        key = period_key(month, range_)
        if key not in keys:
            keys.append(key)
    return keys


# --- users ---------------------------------------------------------------------------------------
def usernames(ids: Iterable[int | None]) -> dict[int | None, str]:
    """Usernames of the owners named by id (one query), ``Not Set`` for none."""
    wanted = {i for i in ids if i is not None}
    names: dict[int | None, str] = {None: NOT_SET}
    if wanted:
        names.update(get_user_model().objects.filter(pk__in=wanted).values_list("pk", "username"))
    return names


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: one sort per group, no window."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _percentile_cont(
    base: QuerySet[Any], value: str, ps: Sequence[float], group: str | None
) -> dict[Any, dict[float, float | None]]:
    annotation = base.query.annotations.get(value)
    duration = isinstance(
        annotation.output_field if annotation is not None else base.model._meta.get_field(value),
        DurationField,
    )
    out_field: Any = DurationField() if duration else FloatField()
    wanted = {
        f"_p{i}": PercentileCont(F(value), fraction=p, output_field=out_field)
        for i, p in enumerate(ps)
    }
    rows = list(base.values(group).annotate(**wanted)) if group else [base.aggregate(**wanted)]
    out: dict[Any, dict[float, float | None]] = {}
    for row in rows:
        if all(row[f"_p{i}"] is None for i in range(len(ps))):  # no value in the group
            continue
        out[row[group] if group else None] = {
            p: None if row[f"_p{i}"] is None else as_number(row[f"_p{i}"]) for i, p in enumerate(ps)
        }
    return out


def percentiles_of(
    rows: QuerySet[Any], values: Sequence[str], ps: Sequence[float], *, group: str | None = None
) -> dict[str, dict[Any, dict[float, float | None]]]:
    """``percentiles`` of several columns of the same rows: value -> group -> p -> percentile.
    Each column ignores the rows where it is empty. On PostgreSQL one pass over the rows for all
    of them (``percentile_cont`` skips NULLs), elsewhere one ``percentiles`` per column."""
    if connection.vendor != "postgresql":
        return {
            v: percentiles(rows.filter(**{f"{v}__isnull": False}), v, ps, group=group)
            for v in values
        }
    base = rows.order_by()
    wanted = {}
    for j, value in enumerate(values):
        field = base.query.annotations.get(value)
        duration = isinstance(
            field.output_field if field is not None else base.model._meta.get_field(value),
            DurationField,
        )
        out_field: Any = DurationField() if duration else FloatField()
        for i, p in enumerate(ps):
            wanted[f"_v{j}p{i}"] = PercentileCont(F(value), fraction=p, output_field=out_field)
    found = list(base.values(group).annotate(**wanted)) if group else [base.aggregate(**wanted)]
    out: dict[str, dict[Any, dict[float, float | None]]] = {v: {} for v in values}
    for row in found:
        key = row[group] if group else None
        for j, value in enumerate(values):
            got = [row[f"_v{j}p{i}"] for i in range(len(ps))]
            if all(x is None for x in got):  # no row with this column in the group
                continue
            out[value][key] = {
                p: None if x is None else as_number(x) for p, x in zip(ps, got, strict=True)
            }
    return out


def as_number(value: Any) -> float:
    """A percentile's input as a number: durations in days."""
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    return float(value)


# --- percentiles in SQL ----------------------------------------------------------------------------
def percentiles(
    rows: QuerySet[Any], value: str, ps: Sequence[float], *, group: str | None = None
) -> dict[Any, dict[float, float | None]]:
    """The continuous percentiles (PostgreSQL's ``percentile_cont``: linear between the two
    nearest ranks) of ``value`` over ``rows``, per ``group`` (or one group, key None).

    Portable SQL: the rows are ranked per group by a window function and only the (at most two)
    rows around each wanted rank come back, so the database does the sorting and Python only
    interpolates between a handful of values per group."""
    if connection.vendor == "postgresql":
        # percentile_cont skips NULLs itself: no IS NOT NULL of the value (an expression's, with
        # a subquery in it, would be costed per row and steer the plan off an index-only scan)
        return _percentile_cont(rows.order_by(), value, ps, group)
    base = rows.filter(**{f"{value}__isnull": False}).order_by()
    partition = [F(group)] if group else None
    ranked = base.annotate(
        _rank=Window(RowNumber(), order_by=F(value).asc(), partition_by=partition),
        _n=Window(Count("*"), partition_by=partition),
    )
    near = None
    for p in ps:
        # 1-based position p * (n - 1) + 1: keep the ranks strictly within one of it
        lower = ExpressionWrapper(F("_n") * Value(p) - Value(p), output_field=FloatField())
        upper = ExpressionWrapper(F("_n") * Value(p) + Value(2 - p), output_field=FloatField())
        q = Q(_rank__gt=lower, _rank__lt=upper)
        near = q if near is None else near | q
    assert near is not None
    fields = [group, value, "_rank", "_n"] if group else [value, "_rank", "_n"]
    picked: dict[Any, dict[int, float]] = {}
    sizes: dict[Any, int] = {}
    for row in ranked.filter(near).values(*fields):
        key = row[group] if group else None
        picked.setdefault(key, {})[row["_rank"]] = as_number(row[value])
        sizes[key] = row["_n"]
    out: dict[Any, dict[float, float | None]] = {}
    for key, ranks in picked.items():
        n = sizes[key]
        out[key] = {}
        for p in ps:
            pos = p * (n - 1) + 1
            lo, hi = math.floor(pos), math.ceil(pos)
            if lo not in ranks or hi not in ranks:
                out[key][p] = None
                continue
            out[key][p] = ranks[lo] + (pos - lo) * (ranks[hi] - ranks[lo])
    return out
