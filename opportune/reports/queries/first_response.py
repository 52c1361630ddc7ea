"""Minutes to first response for opportunity (ERPNext v12's report, and beyond it): per day
the opportunities were made, the mean minutes to the first response (ERPNext's figure: only
those answered, ``mins_to_first_response > 0``); and the median and 90th percentile, in
wall-clock and in business minutes, over the whole period and per owner."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, DecimalField, QuerySet, Sum
from django.db.models.functions import TruncDate

from opportune.crm.access import opportunities_visible_to
from opportune.crm.models import Opportunity
from opportune.reports.filters import FirstResponseFilters
from opportune.reports.queries.base import (
    NOT_SET,
    Chart,
    Column,
    Report,
    as_number,
    percentiles_of,
    summary_item,
    usernames,
)
from opportune.reports.queries.lost import day_bounds

WALL, BUSINESS = "mins_to_first_response", "business_mins_to_first_response"
PS = (0.5, 0.9)
MINUTES: DecimalField[Any, Any] = DecimalField(max_digits=14, decimal_places=4)


def answered(user: Any, f: FirstResponseFilters) -> QuerySet[Opportunity]:
    start, end = f.span()
    since, until = day_bounds(start, end)
    return (
        opportunities_visible_to(user)
        .filter(creation__gte=since, creation__lt=until, mins_to_first_response__gt=0)
        .order_by()
    )


def _minutes(value: Any) -> Decimal | None:
    return None if value is None else round(Decimal(str(value)), 2)


def first_response_report(user: Any, f: FirstResponseFilters) -> Report:
    rows_qs = answered(user, f)
    if f.group_by == "opportunity_owner":
        return _per_owner(rows_qs)
    both = percentiles_of(rows_qs, [WALL, BUSINESS], PS)
    grouped = _grouped(rows_qs, f.group_by)
    summary = _summary(_fold_means(grouped), both[WALL].get(None, {}), both[BUSINESS].get(None, {}))
    rows = [
        {"date": r["date"], "mins_to_first_response": _minutes(r["mean"]), "count": r["count"]}
        for r in sorted(grouped, key=lambda r: r["date"], reverse=True)
    ]
    columns = [
        Column("date", "Date", "Date"),
        Column("mins_to_first_response", "Mins to First Response", "Float"),
        Column("count", "Opportunities", "Int"),
    ]
    ascending = list(reversed(rows))
    chart = Chart(
        "line",
        [r["date"].isoformat() for r in ascending],
        [
            {
                "name": "Mins to first response",
                "values": [float(r["mins_to_first_response"] or 0) for r in ascending],
            }
        ],
    )
    return Report(columns, rows, chart, summary)


def _grouped(rows_qs: QuerySet[Opportunity], group_by: str) -> list[dict[str, Any]]:
    """Per day (or owner): count, mean and the sums the overall means are folded from (one
    GROUP BY)."""
    keyed: Any
    if group_by == "opportunity_owner":
        keyed = rows_qs.values("opportunity_owner_id")
    else:
        keyed = rows_qs.annotate(date=TruncDate("creation")).values("date")
    return list(
        keyed.annotate(
            count=Count("*"),
            mean=Avg(WALL, output_field=MINUTES),
            total=Sum(WALL, output_field=MINUTES),
            business_mean=Avg(BUSINESS, output_field=MINUTES),
            business_total=Sum(BUSINESS, output_field=MINUTES),
            business_count=Count(BUSINESS),
        ).order_by()
    )


def _summary(
    totals: dict[str, Any], overall: dict[float, float | None], business: dict[float, float | None]
) -> list[dict[str, Any]]:
    return [
        summary_item("Answered opportunities", totals["count"], "Int"),
        summary_item("Mean minutes", _minutes(totals["mean"])),
        summary_item("Median minutes", _minutes(overall.get(0.5))),
        summary_item("90th percentile minutes", _minutes(overall.get(0.9))),
        summary_item("Mean business minutes", _minutes(totals["business_mean"])),
        summary_item("Median business minutes", _minutes(business.get(0.5))),
        summary_item("90th percentile business minutes", _minutes(business.get(0.9))),
    ]


def _fold_means(grouped: list[dict[str, Any]]) -> dict[str, Any]:
    count = sum(r["count"] for r in grouped)
    business_count = sum(r["business_count"] for r in grouped)
    total = sum((r["total"] or 0 for r in grouped), Decimal(0))
    business = sum((r["business_total"] or 0 for r in grouped), Decimal(0))
    return {
        "count": count,
        "mean": total / count if count else None,
        "business_mean": business / business_count if business_count else None,
    }


Percentiles = dict[float, float | None]


def _per_owner(rows_qs: QuerySet[Opportunity]) -> Report:
    if connection.vendor == "postgresql":
        grouped, totals, overall, business, wall_by, business_by = _owner_rollup(rows_qs)
    else:
        grouped = {r["opportunity_owner_id"]: r for r in _grouped(rows_qs, "opportunity_owner")}
        totals = _fold_means(list(grouped.values()))
        both = percentiles_of(rows_qs, [WALL, BUSINESS], PS)
        overall, business = both[WALL].get(None, {}), both[BUSINESS].get(None, {})
        by_owner = percentiles_of(rows_qs, [WALL, BUSINESS], PS, group="opportunity_owner_id")
        wall_by, business_by = by_owner[WALL], by_owner[BUSINESS]
    summary = _summary(totals, overall, business)
    names = usernames(grouped)
    empty: Percentiles = defaultdict(lambda: None)
    rows = []
    for key, r in grouped.items():
        w, b = wall_by.get(key, empty), business_by.get(key, empty)
        rows.append(
            {
                "opportunity_owner": names.get(key, NOT_SET),
                "count": r["count"],
                "mean": _minutes(r["mean"]),
                "median": _minutes(w[0.5]),
                "p90": _minutes(w[0.9]),
                "business_mean": _minutes(r["business_mean"]),
                "business_median": _minutes(b[0.5]),
                "business_p90": _minutes(b[0.9]),
            }
        )
    rows.sort(key=lambda r: r["opportunity_owner"])
    columns = [
        Column("opportunity_owner", "Owner", "Link"),
        Column("count", "Opportunities", "Int"),
        Column("mean", "Mean minutes", "Float"),
        Column("median", "Median minutes", "Float"),
        Column("p90", "90th percentile minutes", "Float"),
        Column("business_mean", "Mean business minutes", "Float"),
        Column("business_median", "Median business minutes", "Float"),
        Column("business_p90", "90th percentile business minutes", "Float"),
    ]
    chart = Chart(
        "bar",
        [r["opportunity_owner"] for r in rows],
        [
            {"name": "Median minutes", "values": [float(r["median"] or 0) for r in rows]},
            {"name": "90th percentile minutes", "values": [float(r["p90"] or 0) for r in rows]},
            {
                "name": "Median business minutes",
                "values": [float(r["business_median"] or 0) for r in rows],
            },
        ],
    )
    return Report(columns, rows, chart, summary)


def _owner_rollup(
    rows_qs: QuerySet[Opportunity],
) -> tuple[
    dict[Any, dict[str, Any]],
    dict[str, Any],
    Percentiles,
    Percentiles,
    dict[Any, Percentiles],
    dict[Any, Percentiles],
]:
    """PostgreSQL: the per-owner rows, the period's means and both percentiles, overall and per
    owner, in one pass over the answered rows (``GROUP BY ROLLUP``: the owners' groups and the
    grand total from the same sorted scan) instead of three (docs/performance.md, "Reports at 1M,
    fourth pass"). The same figures as the portable path: means from AVG per owner and folded
    from the sums overall, ``percentile_cont`` skipping empty business minutes."""
    sql, params = rows_qs.values_list(
        "opportunity_owner_id", WALL, BUSINESS
    ).query.sql_with_params()
    percentiles = ", ".join(
        f"percentile_cont({p}) WITHIN GROUP (ORDER BY {column})"
        for column in ("w", "b")
        for p in PS
    )
    query = (
        "SELECT GROUPING(o), o, COUNT(*), AVG(w), SUM(w), AVG(b), SUM(b), COUNT(b), "
        f"{percentiles} FROM ({sql}) AS answered (o, w, b) GROUP BY ROLLUP (o)"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = cursor.fetchall()
    grouped: dict[Any, dict[str, Any]] = {}
    wall_by: dict[Any, Percentiles] = {}
    business_by: dict[Any, Percentiles] = {}
    totals: dict[str, Any] = {"count": 0, "mean": None, "business_mean": None}
    overall: Percentiles = {}
    business: Percentiles = {}
    for is_total, owner, count, mean, total, b_mean, b_total, b_count, *ps in found:
        wall_ps = {p: None if x is None else as_number(x) for p, x in zip(PS, ps[:2], strict=True)}
        business_ps = {
            p: None if x is None else as_number(x) for p, x in zip(PS, ps[2:], strict=True)
        }
        if is_total:
            totals = _fold_means(
                [
                    {
                        "count": count,
                        "business_count": b_count,
                        "total": total,
                        "business_total": b_total,
                    }
                ]
            )
            overall = wall_ps if count else {}
            business = business_ps if b_count else {}
            continue
        grouped[owner] = {"count": count, "mean": mean, "business_mean": b_mean}
        wall_by[owner] = wall_ps
        if b_count:
            business_by[owner] = business_ps
    return grouped, totals, overall, business, wall_by, business_by
