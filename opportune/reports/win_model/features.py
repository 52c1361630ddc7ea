"""The features of opportunities as they were known at the time: for a closed one, its state
when it got its status (from its history), for an open one, now. One SQL statement per chunk
of opportunities (window functions over the history, correlated counts on indexed columns), so
a weekly run over a million rows reads each chunk once and loops over nothing but its rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection

from opportune.activities.models import Event
from opportune.comms.models import Communication
from opportune.crm.models import Opportunity

WON = ("Converted",)
LOST = ("Lost", "Closed")
CLOSED = WON + LOST
OPEN = tuple(str(s) for s in Opportunity.ACTIVE_STATUSES)
CHUNK = 20_000
DAY = 86_400.0

# What counts as a touch of an opportunity (a communication, a calendar event): the model,
# table date column of each. HOOK: add activities.Activity (issue 15) here once it is on main,
# e.g. ``(Activity, "happened_on")``.
TOUCH_SOURCES: list[tuple[Any, str]] = [(Communication, "communication_date"), (Event, "starts_on")]


@dataclass
class Features:
    """One row per opportunity (the same order in every array)."""

    names: list[str]
    status: np.ndarray
    stage: np.ndarray  # object: the sales stage's name or ""
    source: np.ndarray
    type: np.ndarray
    owner: np.ndarray  # the owner's username or ""
    age_in_stage: np.ndarray  # days
    days_to_close: np.ndarray  # days from then to the expected closing (nan: none)
    amount: np.ndarray  # company currency
    touches: np.ndarray  # communications and events until then
    slips: np.ndarray  # times the expected closing moved later

    @property
    def won(self) -> np.ndarray:
        return np.isin(self.status, WON)

    @staticmethod
    def concat(parts: Sequence[Features]) -> Features:
        fields = [f for f in Features.__dataclass_fields__ if f != "names"]
        names = [n for p in parts for n in p.names]
        arrays = {
            f: np.concatenate([getattr(p, f) for p in parts]) if parts else np.array([])
            for f in fields
        }
        return Features(names=names, **arrays)


def _epoch(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


def _touches(cutoff: str) -> str:
    counts = []
    for model, date_column in TOUCH_SOURCES:
        table = connection.ops.quote_name(model._meta.db_table)
        counts.append(
            f"(SELECT COUNT(*) FROM {table} t WHERE t.reference_doctype = 'Opportunity' "
            f"AND t.reference_name = o.name AND t.{date_column} <= {cutoff})"
        )
    return " + ".join(counts) or "0"


def _sql(where: str, history_where: str) -> str:
    opp = connection.ops.quote_name(Opportunity._meta.db_table)
    hist = connection.ops.quote_name(Opportunity.history.model._meta.db_table)
    users = connection.ops.quote_name(get_user_model()._meta.db_table)
    closed = ", ".join(f"'{s}'" for s in CLOSED)
    cutoff = (
        f"CASE WHEN o.status IN ({closed}) THEN COALESCE(per.status_since, o.modified) ELSE %s END"
    )
    return f"""
WITH h AS (
  SELECT name, history_date, expected_closing, sales_stage_id, status,
    LAG(expected_closing) OVER w AS prev_close,
    LAG(sales_stage_id) OVER w AS prev_stage,
    LAG(status) OVER w AS prev_status,
    ROW_NUMBER() OVER w AS rn
  FROM {hist} WHERE {history_where}
  WINDOW w AS (PARTITION BY name ORDER BY history_date, history_id)
), per AS (
  SELECT name,
    SUM(CASE WHEN prev_close IS NOT NULL AND expected_closing > prev_close THEN 1 ELSE 0 END)
      AS slips,
    MAX(CASE WHEN rn = 1 OR COALESCE(sales_stage_id, '') <> COALESCE(prev_stage, '')
      THEN history_date END) AS stage_since,
    MAX(CASE WHEN rn = 1 OR status <> prev_status THEN history_date END) AS status_since
  FROM h GROUP BY name
), base AS (
  SELECT o.name, o.status, COALESCE(o.sales_stage_id, '') AS stage,
    COALESCE(o.source_id, '') AS source, o.opportunity_type_id AS type,
    COALESCE(u.username, '') AS owner, o.base_opportunity_amount AS amount,
    o.expected_closing, COALESCE(per.stage_since, o.creation) AS stage_since,
    COALESCE(per.slips, 0) AS slips, {cutoff} AS cutoff
  FROM {opp} o LEFT JOIN per ON per.name = o.name
  LEFT JOIN {users} u ON u.id = o.opportunity_owner_id
  WHERE {where}
)
SELECT b.name, b.status, b.stage, b.source, b.type, b.owner, b.amount,
  ({_epoch("b.cutoff")} - {_epoch("b.stage_since")}) / {DAY} AS age_in_stage,
  ({_epoch("b.expected_closing")} - {_epoch("b.cutoff")}) / {DAY} AS days_to_close,
  {_touches("b.cutoff").replace("o.name", "b.name")} AS touches,
  b.slips
FROM base b ORDER BY b.name"""


def _read(sql: str, params: list[Any]) -> Features:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return Features.concat([])
    columns = list(zip(*rows, strict=True))

    def text(i: int) -> np.ndarray:
        return np.array(columns[i], dtype=object)

    def number(i: int) -> np.ndarray:
        return np.array([np.nan if v is None else float(v) for v in columns[i]], dtype=float)

    return Features(
        names=list(columns[0]),
        status=text(1),
        stage=text(2),
        source=text(3),
        type=text(4),
        owner=text(5),
        amount=np.nan_to_num(number(6)),
        age_in_stage=np.clip(np.nan_to_num(number(7)), 0, None),
        days_to_close=number(8),
        touches=np.nan_to_num(number(9)),
        slips=np.nan_to_num(number(10)),
    )


def features_of(
    *,
    statuses: Sequence[str],
    now: datetime,
    names: Sequence[str] | None = None,
    chunk: int = CHUNK,
) -> Iterator[Features]:
    """The features of the opportunities in ``statuses`` (or of ``names`` among them), chunk
    by chunk (keyset on the name)."""
    now_value = connection.ops.adapt_datetimefield_value(now)
    marks = ", ".join(["%s"] * len(statuses))
    if names is not None:
        for start in range(0, len(names), chunk):
            part = list(names[start : start + chunk])
            if not part:
                continue
            listed = ", ".join(["%s"] * len(part))
            sql = _sql(f"o.status IN ({marks}) AND o.name IN ({listed})", f"name IN ({listed})")
            yield _read(sql, [*part, now_value, *statuses, *part])
        return
    after = ""
    rows = Opportunity.objects.filter(status__in=statuses).order_by("name")
    while True:
        batch = list(rows.filter(name__gt=after).values_list("name", flat=True)[:chunk])
        if not batch:
            return
        last = batch[-1]
        sql = _sql(
            f"o.status IN ({marks}) AND o.name > %s AND o.name <= %s", "name > %s AND name <= %s"
        )
        yield _read(sql, [after, last, now_value, *statuses, after, last])
        after = last
