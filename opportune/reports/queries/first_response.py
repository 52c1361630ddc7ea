"""Minutes to first response for opportunity (ERPNext v12's report, and beyond it): per day
the opportunities were made, the mean minutes to the first response (ERPNext's figure: only
those answered, ``mins_to_first_response > 0``); and the median and 90th percentile, in
wall-clock and in business minutes, over the whole period and per owner."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

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
    both = percentiles_of(rows_qs, [WALL, BUSINESS], PS)
    overall, business = both[WALL].get(None, {}), both[BUSINESS].get(None, {})
    grouped = _grouped(rows_qs, f.group_by)
    totals = _fold_means(grouped)
    summary = [
        summary_item("Answered opportunities", totals["count"], "Int"),
        summary_item("Mean minutes", _minutes(totals["mean"])),
        summary_item("Median minutes", _minutes(overall.get(0.5))),
        summary_item("90th percentile minutes", _minutes(overall.get(0.9))),
        summary_item("Mean business minutes", _minutes(totals["business_mean"])),
        summary_item("Median business minutes", _minutes(business.get(0.5))),
        summary_item("90th percentile business minutes", _minutes(business.get(0.9))),
    ]
    if f.group_by == "opportunity_owner":
        return _per_owner(rows_qs, grouped, summary)
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


def _per_owner(
    rows_qs: QuerySet[Opportunity], rows: list[dict[str, Any]], summary: list[dict[str, Any]]
) -> Report:
    owner = "opportunity_owner_id"
    grouped = {r[owner]: r for r in rows}
    both = percentiles_of(rows_qs, [WALL, BUSINESS], PS, group=owner)
    wall, business = both[WALL], both[BUSINESS]
    names = usernames(grouped)
    empty: dict[float, float | None] = defaultdict(lambda: None)
    rows = []
    for key, r in grouped.items():
        w, b = wall.get(key, empty), business.get(key, empty)
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
