"""What moved in the pipeline between two days (issue 15): the open opportunities at the end of
``from_date`` against those at the end of ``to_date`` (reports.snapshots: a past day's snapshot,
today as it is), each opportunity classified, and the weighted pipeline's walk from the first day
to the second as a waterfall.

- Came in: **new** (no record of it by the end of the first day), **reopened** (it existed,
  closed, and is open again).
- Went out: **won** (Converted at the end of the second day), **lost**, **closed** (closed by
  hand or deleted).
- Still open on both days: **moved forward** / **moved back** (a later or earlier sales stage),
  **probability changed** (same stage), **amount up** / **amount down**, and **slipped** (its
  expected closing was by the end of the period and is now after it). One opportunity may be in
  several of these.

The walk adds up: for an opportunity open on both days, weighted(B) - weighted(A) =
(amount B - amount A) x probability A (the amount bars) + amount B x (probability B -
probability A) (the stage and probability bars). Slipped changes no total: its row says how much
moved out of the period, it has no bar. Amounts are company currency; weighted = amount x
probability / 100. ``bucket=`` lists the opportunities behind one row (every bar links to it).

Set-based (1M opportunities: decision 0032): the two days' rows are read once each (a past day's
by the states' ``(month, valid_from)`` index) and joined on the name, one row per opportunity
with both days' columns (``a_*`` the first day, ``b_*`` the second); the stage order is a join
to the stages, "existed" and a gone one's status one indexed probe of the history for the
opportunities that came in or went out only. Every bucket is a condition on those rows: the
figures are one aggregate over them, a bucket's list the same rows filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import DecimalField, QuerySet, Value

from opportune.crm.models import Opportunity, SalesStage
from opportune.reports.filters import PipelineChangesFilters
from opportune.reports.queries.base import (
    MONEY,
    Chart,
    Column,
    Report,
    currency,
    money,
    summary_item,
    usernames,
)
from opportune.reports.snapshots import History, end_of, is_past, pipeline_at

MAX_ROWS = 1000
PCT: DecimalField[Any, Any] = DecimalField(max_digits=5, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)


def _num(sql: str) -> str:
    """A decimal expression as the ORM writes it (SQLite: cast to NUMERIC at every step, so
    the figures are those the ORM's aggregates gave)."""
    return f"CAST(({sql}) AS NUMERIC)" if connection.vendor == "sqlite" else f"({sql})"


def _weighted(amount: str, prob: str) -> str:
    return _num(_num(f"{amount} * {prob}") + " / 100")


def _minus(sql: str) -> str:
    return _num(f"{sql} * -1")


A_W = _weighted("r.a_amount", "r.a_prob")
B_W = _weighted("r.b_amount", "r.b_prob")
MOVE = _num(_num("r.b_amount * " + _num("r.b_prob - r.a_prob")) + " / 100")
AMOUNT_DIFF = _num("r.b_amount - r.a_amount")
AMOUNT = _num(_num(f"{AMOUNT_DIFF} * r.a_prob") + " / 100")


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    side: str  # "in" (open only on the second day), "out" (only on the first), "both"
    when: str  # SQL: the condition on a row of _rows (besides its side)
    amount: str  # SQL: the amount the row sums (company currency)
    change: str | None  # SQL: its change to the weighted pipeline (None: no bar)


def _buckets() -> list[Bucket]:
    """The rows of the report (SQL fragments on ``r``, a row of ``_rows``; the slip's day is
    the parameter ``%(end)s``)."""
    out_change = _minus(A_W)
    return [
        Bucket("new", "New", "in", "r.existed = 0", "r.b_amount", B_W),
        Bucket("reopened", "Reopened", "in", "r.existed = 1", "r.b_amount", B_W),
        Bucket("won", "Won", "out", "r.b_status = 'Converted'", "r.a_amount", out_change),
        Bucket("lost", "Lost", "out", "r.b_status = 'Lost'", "r.a_amount", out_change),
        Bucket(
            "closed",
            "Closed or deleted",
            "out",
            "(r.b_status IS NULL OR r.b_status NOT IN ('Converted', 'Lost'))",
            "r.a_amount",
            out_change,
        ),
        Bucket("moved_forward", "Moved forward", "both", "r.b_idx > r.a_idx", "r.b_amount", MOVE),
        Bucket("moved_back", "Moved back", "both", "r.b_idx < r.a_idx", "r.b_amount", MOVE),
        Bucket(
            "probability_changed",
            "Probability changed (same stage)",
            "both",
            "r.b_idx = r.a_idx AND r.b_prob <> r.a_prob",
            "r.b_amount",
            MOVE,
        ),
        Bucket(
            "amount_up", "Amount increased", "both", "r.b_amount > r.a_amount", AMOUNT_DIFF, AMOUNT
        ),
        Bucket(
            "amount_down",
            "Amount decreased",
            "both",
            "r.b_amount < r.a_amount",
            AMOUNT_DIFF,
            AMOUNT,
        ),
        Bucket(
            "slipped",
            "Slipped past the period",
            "both",
            "r.a_closing <= %(end)s AND r.b_closing > %(end)s",
            "r.b_amount",
            None,
        ),
    ]


BUCKETS = _buckets()
BUCKET_KEYS = [b.key for b in BUCKETS]
# a day's row: what the report reads of it (the same names on the states and the opportunities)
DAY_COLUMNS = [
    "name",
    "opportunity_owner_id",
    "sales_stage_id",
    "base_opportunity_amount",
    "probability",
    "expected_closing",
    "status",
]
ROW_COLUMNS = [
    "side",
    "name",
    "opportunity_owner_id",
    "a_stage",
    "a_amount",
    "a_prob",
    "a_closing",
    "b_stage",
    "b_amount",
    "b_prob",
    "b_closing",
    "b_status",
    "existed",
    "a_idx",
    "b_idx",
]


def _rows(user: Any, f: PipelineChangesFilters) -> tuple[str, dict[str, Any]]:
    """SQL (named parameters) of one row per opportunity open on either day: its ``side`` and
    both days' columns (NULL on the day it was not open), ``existed`` (came in: recorded by
    the end of the first day, 1/0), ``b_status`` (went out: its status at the end of the
    second day, NULL if deleted), the stages' order ``a_idx``/``b_idx`` (-1: none)."""
    start, end = f.span()
    ops = connection.ops
    params: dict[str, Any] = {
        "end": ops.adapt_datefield_value(end),
        "start_end": ops.adapt_datetimefield_value(end_of(start)),
    }

    def day_sql(rows: QuerySet[Any], prefix: str) -> str:
        try:
            sql, values = rows.values_list(*DAY_COLUMNS).query.sql_with_params()
        except EmptyResultSet:  # a user who sees nothing: the ORM writes no SQL for `.none()`
            none = rows.model._default_manager.filter(pk__isnull=True)
            sql, values = none.values_list(*DAY_COLUMNS).query.sql_with_params()
        for i, value in enumerate(values):
            params[f"{prefix}{i}"] = value
        # the ORM's positional %s become this side's named parameters
        parts = sql.split("%s")
        named = [f"%({prefix}{i})s" for i in range(len(values))] + [""]
        return "".join(part + name for part, name in zip(parts, named, strict=True))

    first = day_sql(pipeline_at(user, start), "a")
    second = day_sql(pipeline_at(user, end), "b")
    history = History._meta.db_table
    stages = SalesStage._meta.db_table
    if is_past(end):
        params["end_end"] = ops.adapt_datetimefield_value(end_of(end))
        gone_status = (
            f"(SELECT CASE WHEN h.history_type = '-' THEN NULL ELSE h.status END FROM {history} h "
            "WHERE h.name = a.name AND h.history_date < %(end_end)s "
            "ORDER BY h.history_date DESC, h.history_id DESC LIMIT 1)"
        )
    else:  # today: as it is (a deleted one has no row)
        gone_status = f"(SELECT o.status FROM {Opportunity._meta.db_table} o WHERE o.name = a.name)"
    existed = (
        f"CASE WHEN EXISTS (SELECT 1 FROM {history} h WHERE h.name = b.name "
        "AND h.history_date < %(start_end)s) THEN 1 ELSE 0 END"
    )
    # one pass: a FULL JOIN of the two days on the name (a hash join of the two index ranges);
    # the history is probed only for the rows on one side (CASE evaluates its branch only)
    moved = (
        "SELECT CASE WHEN a.name IS NULL THEN 'in' WHEN b.name IS NULL THEN 'out' "
        "ELSE 'both' END AS side, COALESCE(b.name, a.name) AS name, "
        "CASE WHEN b.name IS NULL THEN a.opportunity_owner_id "
        "ELSE b.opportunity_owner_id END AS opportunity_owner_id, "
        "a.sales_stage_id AS a_stage, a.base_opportunity_amount AS a_amount, "
        "a.probability AS a_prob, a.expected_closing AS a_closing, "
        "b.sales_stage_id AS b_stage, b.base_opportunity_amount AS b_amount, "
        "b.probability AS b_prob, b.expected_closing AS b_closing, "
        f"CASE WHEN b.name IS NULL THEN {gone_status} ELSE b.status END AS b_status, "
        f"CASE WHEN a.name IS NULL THEN {existed} END AS existed "
        f"FROM ({first}) a FULL JOIN ({second}) b ON a.name = b.name"
    )
    sql = (
        "SELECT m.*, COALESCE(sa.idx, -1) AS a_idx, COALESCE(sb.idx, -1) AS b_idx "
        f"FROM ({moved}) m LEFT JOIN {stages} sa ON sa.name = m.a_stage "
        f"LEFT JOIN {stages} sb ON sb.name = m.b_stage"
    )
    if connection.vendor == "postgresql":
        # a fence: the rows are computed once, not inlined into every bucket's CASE (which
        # would probe the history once per reference)
        sql += " OFFSET 0"
    return sql, params


def _when(bucket: Bucket) -> str:
    return f"(r.side = '{bucket.side}' AND {bucket.when})"


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def bucket_figures(user: Any, f: PipelineChangesFilters) -> dict[str, dict[str, Any]]:
    """{bucket: {"count", "amount", "change"}} and {"before"/"after": {"weighted"}} (both days'
    weighted pipelines): one aggregate over the rows."""
    rows, params = _rows(user, f)
    picked = []
    for b in BUCKETS:
        picked += [
            f"SUM(CASE WHEN {_when(b)} THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {_when(b)} THEN {b.amount} END)",
        ]
        if b.change is not None:
            picked.append(f"SUM(CASE WHEN {_when(b)} THEN {b.change} END)")
    # both days' weighted pipelines: the rows open on each
    picked += [
        f"SUM(CASE WHEN r.side <> 'in' THEN {A_W} END)",
        f"SUM(CASE WHEN r.side <> 'out' THEN {B_W} END)",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(picked)} FROM ({rows}) r", params)
        got = iter(cursor.fetchone())
    out: dict[str, dict[str, Any]] = {}
    for b in BUCKETS:
        count, amount = next(got), next(got)
        change = (_decimal(next(got)) or Decimal(0)) if b.change is not None else None
        out[b.key] = {
            "count": int(count or 0),
            "amount": _decimal(amount) or Decimal(0),
            "change": change,
        }
    for day in ("before", "after"):
        out[day] = {"weighted": _decimal(next(got)) or Decimal(0)}
    return out


SUMMARY_COLUMNS = [
    Column("change_type", "Change", "Data"),
    Column("count", "Opportunities", "Int"),
    Column("amount", "Amount", "Currency"),
    Column("weighted_change", "Change to the weighted pipeline", "Currency"),
    Column("bucket", "Key", "Data"),
]
LIST_COLUMNS = [
    Column("name", "Opportunity", "Link"),
    Column("title", "Title", "Data"),
    Column("opportunity_owner", "Owner", "Link"),
    Column("stage_from", "Stage before", "Link"),
    Column("stage_to", "Stage after", "Link"),
    Column("status_to", "Status after", "Data"),
    Column("amount_from", "Amount before", "Currency"),
    Column("amount_to", "Amount after", "Currency"),
    Column("probability_from", "Probability before", "Percent"),
    Column("probability_to", "Probability after", "Percent"),
    Column("closing_from", "Expected closing before", "Date"),
    Column("closing_to", "Expected closing after", "Date"),
    Column("weighted_change", "Change to the weighted pipeline", "Currency"),
]


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _percent(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _listing(
    user: Any, f: PipelineChangesFilters, bucket: Bucket, limit: int | None, precision: int
) -> list[dict[str, Any]]:
    rows, params = _rows(user, f)
    change = bucket.change if bucket.change is not None else "0"
    columns = ", ".join(f"r.{c}" for c in ROW_COLUMNS)
    sql = (
        f"SELECT {columns}, {change} AS change, o.title FROM ({rows}) r "
        f"LEFT JOIN {Opportunity._meta.db_table} o ON o.name = r.name "
        f"WHERE {_when(bucket)} ORDER BY r.name"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [dict(zip([*ROW_COLUMNS, "_change", "_title"], r, strict=True)) for r in cursor]
    names = usernames(r["opportunity_owner_id"] for r in found)

    def cash(value: Any) -> Decimal | None:
        return None if value is None else money(_decimal(value), precision)

    return [
        {
            "name": r["name"],
            "title": r["_title"] or "",
            "opportunity_owner": names.get(r["opportunity_owner_id"], ""),
            "stage_from": r["a_stage"] or "",
            "stage_to": r["b_stage"] or "",
            "status_to": r["b_status"] or ("Deleted" if bucket.side == "out" else ""),
            "amount_from": cash(r["a_amount"]),
            "amount_to": cash(r["b_amount"]),
            "probability_from": _percent(r["a_prob"]),
            "probability_to": _percent(r["b_prob"]),
            "closing_from": _date(r["a_closing"]),
            "closing_to": _date(r["b_closing"]),
            "weighted_change": cash(r["_change"]),
        }
        for r in found
    ]


def changes_report(user: Any, f: PipelineChangesFilters, *, limit: int | None = MAX_ROWS) -> Report:
    start, end = f.span()
    _, precision = currency()
    figures = bucket_figures(user, f)
    before, after = figures["before"]["weighted"], figures["after"]["weighted"]
    labels = [f"Weighted pipeline {start.isoformat()}"]
    values = [float(money(before, precision))]
    keys: list[str | None] = [None]
    rows = []
    for b in BUCKETS:
        got = figures[b.key]
        change = None if got["change"] is None else money(got["change"], precision)
        rows.append(
            {
                "change_type": b.label,
                "count": got["count"],
                "amount": money(got["amount"], precision),
                "weighted_change": change,
                "bucket": b.key,
            }
        )
        if change is not None:
            labels.append(b.label)
            values.append(float(change))
            keys.append(b.key)
    labels.append(f"Weighted pipeline {end.isoformat()}")
    values.append(float(money(after, precision)))
    keys.append(None)
    chart = Chart("waterfall", labels, [{"name": "Weighted pipeline", "values": values}])
    summary = [
        summary_item(
            f"Weighted pipeline {start.isoformat()}", money(before, precision), "Currency"
        ),
        summary_item(f"Weighted pipeline {end.isoformat()}", money(after, precision), "Currency"),
        summary_item("Change", money(after - before, precision), "Currency"),
    ]
    if f.bucket:
        bucket = next(b for b in BUCKETS if b.key == f.bucket)
        listed = _listing(user, f, bucket, limit, precision)
        return Report(LIST_COLUMNS, listed, chart, summary, drill="bucket", drill_keys=keys)
    return Report(SUMMARY_COLUMNS, rows, chart, summary, drill="bucket", drill_keys=keys)
