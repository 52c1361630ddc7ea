"""The sales funnel of a period (ERPNext's Sales Funnel page, and beyond it): leads,
opportunities, quotations and converted customers, each counted on its own creation date as
ERPNext counts them; the conversion rate from step to step and from the leads; and the median
days each step took (an opportunity since its lead, a quotation since its opportunity, a
converted customer since its lead).

ERPNext's populations: leads made in the period; opportunities made in it from a lead; submitted
quotations made in it from an opportunity or to a lead; customers made in it from a lead."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce

from opportune.crm.access import (
    leads_visible_to,
    opportunities_visible_to,
    sees_all_sales_records,
)
from opportune.crm.models import Customer, Lead, Opportunity
from opportune.reports.filters import FunnelFilters
from opportune.reports.queries.base import (
    Chart,
    Column,
    Report,
    found_once,
    percentiles,
    summary_item,
)
from opportune.reports.queries.lost import day_bounds
from opportune.selling.access import quotations_visible_to
from opportune.selling.models import Quotation

COLUMNS = [
    Column("step", "Step", "Data"),
    Column("count", "Count", "Int"),
    Column("conversion_rate", "Conversion from previous %", "Percent"),
    Column("from_leads", "Conversion from leads %", "Percent"),
    Column("median_days", "Median days", "Float"),
]


def lead_created() -> Any:
    """An opportunity's lead's creation: the copy on the opportunity while it is of the
    opportunity's lead (set by every save that changes the lead), else read from the lead (a
    writer that moved the lead without a save: a merge, an import). Exact either way; on the
    copy no join to the leads (docs/performance.md, "Reports at 1M, seventh pass")."""
    return Coalesce(
        Case(When(lead_creation_of=F("lead"), then=F("lead_creation"))),
        Subquery(Lead.objects.filter(pk=OuterRef("lead")).order_by().values("creation")),
        output_field=DateTimeField(),
    )


def _median_days(rows: QuerySet[Any], since: str) -> float | None:
    if since == "lead__creation":
        began = lead_created()
    else:  # the linked document's creation, read by its key for each row: a join made the
        # database hash every opportunity for a year's quotations (a scan of the whole table)
        link = since.removesuffix("__creation")
        linked = rows.model._meta.get_field(link).related_model
        began = Subquery(linked.objects.filter(pk=OuterRef(link)).order_by().values("creation"))
    waited = rows.annotate(
        _waited=ExpressionWrapper(F("creation") - began, output_field=DurationField())
    )
    value = percentiles(waited, "_waited", (0.5,)).get(None, {}).get(0.5)
    return round(value, 1) if value is not None else None


def funnel_steps(
    user: Any, since: datetime, until: datetime
) -> list[tuple[str, QuerySet[Any], str | None]]:
    made = Q(creation__gte=since, creation__lt=until)
    leads = leads_visible_to(user).filter(made)
    opportunities = opportunities_visible_to(user).filter(
        made, opportunity_from=Opportunity.From.LEAD
    )
    quotations = (
        quotations_visible_to(user)
        .filter(made, docstatus=1)
        .filter(Q(opportunity__isnull=False) | Q(quotation_to=Quotation.To.LEAD))
    )
    if not sees_all_sales_records(user):
        quotations = found_once(quotations)  # counted, then their median days
    converted = Customer.objects.filter(made, lead_name__in=leads_visible_to(user).values("pk"))
    return [
        ("Leads", leads, None),
        ("Opportunities", opportunities, "lead__creation"),
        ("Quotations", quotations, "opportunity__creation"),
        ("Converted", converted, "lead_name__creation"),
    ]


def _rate(count: int, of: int) -> Decimal | None:
    return round(Decimal(100) * count / of, 2) if of else None


def funnel_report(user: Any, f: FunnelFilters) -> Report:
    start, end = f.span()
    since, until = day_bounds(start, end)
    rows: list[dict[str, Any]] = []
    previous = leads_count = 0
    for index, (step, queryset, since_field) in enumerate(funnel_steps(user, since, until)):
        count = queryset.order_by().count()
        if index == 0:
            leads_count = count
        median = None
        if since_field and count:
            # those with the party or document the step counts from (its creation is never
            # empty): a test of the key, no join; an opportunity from a lead always has its
            # lead (opportunity_party_matches_from), so none there (an index-only scan)
            link = since_field.removesuffix("__creation")
            if link != "lead":
                queryset = queryset.filter(**{f"{link}__isnull": False})
            median = _median_days(queryset, since_field)
        rows.append(
            {
                "step": step,
                "count": count,
                "conversion_rate": _rate(count, previous) if index else None,
                "from_leads": _rate(count, leads_count) if index else None,
                "median_days": median,
            }
        )
        previous = count
    chart = Chart(
        "bar", [r["step"] for r in rows], [{"name": "Count", "values": [r["count"] for r in rows]}]
    )
    summary = [
        summary_item("Leads converted %", rows[-1]["from_leads"] or 0, "Percent"),
    ]
    return Report(COLUMNS, rows, chart, summary)
