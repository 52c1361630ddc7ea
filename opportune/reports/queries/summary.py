"""Opportunity summary by sales stage (ERPNext's report): one row per owner, source or type,
one column per sales stage, counting opportunities or summing their company-currency amount;
and the status split of each stage (the chart: one series per status).

Owner is the opportunity owner (ERPNext reads the ``_assign`` list). Dates filter the
transaction date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from opportune.crm.models import Opportunity, SalesStage
from opportune.reports.filters import SummaryFilters
from opportune.reports.queries.base import (
    MONEY,
    NOT_SET,
    Chart,
    Column,
    Report,
    currency,
    money,
    summary_item,
    usernames,
)
from opportune.reports.snapshots import opportunity_rows

GROUP_COLUMNS = {
    "opportunity_owner": ("opportunity_owner_id", "Opportunity Owner"),
    "source": ("source_id", "Source"),
    "opportunity_type": ("opportunity_type_id", "Opportunity Type"),
}


def summary_report(user: Any, f: SummaryFilters) -> Report:
    column, label = GROUP_COLUMNS[f.based_on]
    rows = opportunity_rows(user, f.as_of)
    if f.from_date and f.to_date:  # as ERPNext: the dates apply only when both are given
        rows = rows.filter(transaction_date__gte=f.from_date, transaction_date__lte=f.to_date)
    if f.status:
        rows = rows.filter(status__in=f.status)
    if f.source:
        rows = rows.filter(source_id=f.source)
    if f.opportunity_type:
        rows = rows.filter(opportunity_type_id=f.opportunity_type)
    amount = f.data_based_on == "amount"
    grouped = (
        rows.order_by()
        .values(column, "sales_stage_id", "status")
        .annotate(
            value=Sum("base_opportunity_amount", output_field=MONEY) if amount else Count("*")
        )
    )
    _, precision = currency()
    table: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    split: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for g in grouped:
        stage = g["sales_stage_id"] or NOT_SET
        table[g[column]][stage] += g["value"] or 0
        split[g["status"]][stage] += g["value"] or 0
    stages = _stages(any(NOT_SET in values for values in table.values()))
    names = usernames(table) if f.based_on == "opportunity_owner" else {}
    fieldtype = "Currency" if amount else "Int"

    def shown(value: Decimal) -> Any:
        return money(value, precision) if amount else int(value)

    out = []
    for key, values in table.items():
        row: dict[str, Any] = {f.based_on: names.get(key, key) if names else (key or NOT_SET)}
        row.update({s: shown(values.get(s, Decimal(0))) for s in stages})
        row["total"] = shown(sum(values.values(), Decimal(0)))
        out.append(row)
    out.sort(key=lambda r: str(r[f.based_on]))
    columns = [Column(f.based_on, label, "Link")]
    columns += [Column(s, s, fieldtype) for s in stages]
    columns.append(Column("total", "Total", fieldtype))
    statuses = [s for s in Opportunity.Status.values if s in split]
    summary = [
        summary_item(status, shown(sum(split[status].values(), Decimal(0))), fieldtype)
        for status in statuses
    ]
    return Report(columns, out, _chart(split, stages, shown), summary)


def _stages(not_set: bool) -> list[str]:
    """The chart's and the table's stage columns: every sales stage in order, and ``Not Set``
    last when a row has none."""
    stages = list(SalesStage.objects.order_by("idx", "name").values_list("name", flat=True))
    return [*stages, NOT_SET] if not_set else stages


def _chart(
    split: dict[str, dict[str, Decimal]], stages: list[str], shown: Callable[[Decimal], Any]
) -> Chart:
    """The status split of each stage: one series per status, in the statuses' order."""
    statuses = [s for s in Opportunity.Status.values if s in split]
    return Chart(
        "bar",
        stages,
        [
            {
                "name": status,
                "values": [float(shown(split[status].get(s, Decimal(0)))) for s in stages],
            }
            for status in statuses
        ],
    )


def stage_amounts_chart(user: Any, statuses: list[str]) -> Chart:
    """The summary report's chart of the amounts of these statuses (stage x status, today's
    rows, no dates) without its table: what the home page's pipeline panel shows.

    The same sums as ``summary_report``'s chart, grouped by status and stage only: in that order
    a manager's open pipeline is read from ``opp_board`` alone (the open rows' covering index:
    an index-only scan in index order, no sort, no table; docs/performance.md, "sixth pass")
    instead of every open row of the table grouped by type as well."""
    grouped = (
        opportunity_rows(user, None)
        .filter(status__in=statuses)
        .order_by()
        .values("status", "sales_stage_id")
        .annotate(value=Sum("base_opportunity_amount", output_field=MONEY))
    )
    split: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for g in grouped:
        split[g["status"]][g["sales_stage_id"] or NOT_SET] += g["value"] or 0
    _, precision = currency()
    stages = _stages(any(NOT_SET in values for values in split.values()))
    return _chart(split, stages, lambda value: money(value, precision))
