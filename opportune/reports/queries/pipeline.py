"""Sales pipeline analytics (ERPNext's report, v14+): the number or amount of opportunities by
sales stage, owner or source, per month or quarter of their expected closing date.

Differences from ERPNext, on purpose: "owner" is the opportunity owner (ERPNext reads the
``_assign`` list); amounts are the stored company-currency amount (``base_opportunity_amount``,
at the opportunity's own rate) instead of today's rate; periods are labelled with their year
(``2026-08``, ``2026-Q3``), so a range over a year end does not add two Augusts together. Without
a status the report counts every opportunity that is still in the pipeline (Open, Replied,
Quotation)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from opportune.crm.models import Opportunity
from opportune.reports.filters import PipelineFilters
from opportune.reports.queries.base import (
    MONEY,
    NOT_SET,
    Chart,
    Column,
    Report,
    currency,
    money,
    period_key,
    periods_between,
    summary_item,
    usernames,
)
from opportune.reports.snapshots import opportunity_rows

GROUP_COLUMNS = {
    "sales_stage": ("sales_stage_id", "Sales Stage"),
    "opportunity_owner": ("opportunity_owner_id", "Opportunity Owner"),
    "source": ("source_id", "Source"),
}


def pipeline_rows(user: Any, f: PipelineFilters) -> QuerySet[Any]:
    start, end = f.span()
    rows = opportunity_rows(user, f.as_of).filter(
        expected_closing__gte=start, expected_closing__lte=end
    )
    if f.status:
        rows = rows.filter(status=f.status)
    else:
        rows = rows.filter(status__in=Opportunity.ACTIVE_STATUSES)
    if f.opportunity_type:
        rows = rows.filter(opportunity_type_id=f.opportunity_type)
    if f.source:
        rows = rows.filter(source_id=f.source)
    return rows.order_by()


def pipeline_report(user: Any, f: PipelineFilters) -> Report:
    start, end = f.span()
    column, label = GROUP_COLUMNS[f.group_by]
    periods = periods_between(start, end, f.range)
    _, precision = currency()
    # one GROUP BY on (group, day): a few thousand rows, folded into periods here
    per_day = (
        pipeline_rows(user, f)
        .values(column, "expected_closing")
        .annotate(
            value=Count("*")
            if f.based_on == "number"
            else Sum("base_opportunity_amount", output_field=MONEY)
        )
    )
    table: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in per_day:
        table[row[column]][period_key(row["expected_closing"], f.range)] += row["value"] or 0
    names = usernames(table) if f.group_by == "opportunity_owner" else {}
    fieldtype = "Int" if f.based_on == "number" else "Currency"

    def shown(value: Decimal) -> Decimal | int:
        return int(value) if f.based_on == "number" else money(value, precision)

    rows = []
    for key in sorted(table, key=lambda k: names.get(k, k) or ""):
        label_of = names.get(key, key) if f.group_by == "opportunity_owner" else key or NOT_SET
        values = table[key]
        line: dict[str, Any] = {f.group_by: label_of}
        line.update({p: shown(values.get(p, Decimal(0))) for p in periods})
        line["total"] = shown(sum(values.values(), Decimal(0)))
        rows.append(line)
    rows.sort(key=lambda r: str(r[f.group_by]))
    totals = [sum((table[k].get(p, Decimal(0)) for k in table), Decimal(0)) for p in periods]
    columns = [Column(f.group_by, label, "Link")]
    columns += [Column(p, p, fieldtype) for p in periods]
    columns.append(Column("total", "Total", fieldtype))
    chart = Chart(
        "line",
        periods,
        [{"name": f.based_on.title(), "values": [float(shown(t)) for t in totals]}],
    )
    grand = shown(sum(totals, Decimal(0)))
    summary = [
        summary_item("Total " + ("count" if f.based_on == "number" else "amount"), grand, fieldtype)
    ]
    return Report(columns, rows, chart, summary)
