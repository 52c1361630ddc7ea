"""Lost opportunities and lost quotations (ERPNext's Lost Opportunity report, and beyond it):
every lost document with its reasons, competitors, detail, amount, the stage it was lost at,
owner, territory and date; grouped by reason, competitor, owner or territory with each group's
share; and the trend of lost count or amount by reason per month.

The date is the day the document was last changed (ERPNext's ``modified``): declaring it lost is
its last change unless it was edited afterwards. An opportunity lost for two reasons counts once
in the totals and once under each of its reasons (so the reasons' shares can add up to more than
100 %)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from opportune.crm.access import opportunities_visible_to, sees_all_sales_records
from opportune.crm.models import Opportunity
from opportune.reports.filters import LostFilters
from opportune.reports.queries.base import (
    MONEY,
    NOT_SET,
    Chart,
    Column,
    Report,
    currency,
    found_once,
    money,
    months_between,
    period_key,
    summary_item,
    usernames,
)
from opportune.selling.access import quotations_visible_to
from opportune.selling.models import Quotation

MAX_ROWS = 1000  # on the page and in the API; the exports carry every row


@dataclass(frozen=True)
class Lost:
    """Where each column of the report lives on the lost document."""

    doctype: str
    amount: str
    owner: str  # a user id column
    stage: str
    opportunity_type: str


OPPORTUNITY = Lost(
    "Opportunity",
    "base_opportunity_amount",
    "opportunity_owner_id",
    "sales_stage_id",
    "opportunity_type_id",
)
QUOTATION = Lost(
    "Quotation",
    "base_grand_total",
    "owner_id",
    "opportunity__sales_stage_id",
    "opportunity__opportunity_type_id",
)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants from the start of ``start`` to the end of ``end`` in the current time zone."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def lost_documents(user: Any, f: LostFilters, spec: Lost) -> QuerySet[Any]:
    start, end = f.span()
    since, until = day_bounds(start, end)
    if spec is OPPORTUNITY:
        rows: QuerySet[Any] = opportunities_visible_to(user).filter(status=Opportunity.Status.LOST)
    else:
        rows = quotations_visible_to(user).filter(status=Quotation.Status.LOST, docstatus=1)
    rows = rows.filter(modified__gte=since, modified__lt=until).order_by()
    if f.lost_reason:
        rows = rows.filter(lost_reasons=f.lost_reason)
    if f.competitor:
        rows = rows.filter(competitors=f.competitor)
    if f.opportunity_owner:
        rows = rows.filter(**{spec.owner.removesuffix("_id") + "__username": f.opportunity_owner})
    if f.territory:
        rows = rows.filter(territory_id=f.territory)
    if f.opportunity_type:
        rows = rows.filter(**{spec.opportunity_type: f.opportunity_type})
    if spec is QUOTATION and rows.query.has_filters() and not sees_all_sales_records(user):
        rows = found_once(rows)  # the report reads them four times
    return rows


def _names(rows: QuerySet[Any], relation: str) -> dict[str, list[str]]:
    """Each document's lost reasons or competitors (one query over the link table)."""
    model = rows.model
    through = getattr(model, relation).through
    own = model._meta.model_name
    target = "opportunitylostreason" if relation == "lost_reasons" else "competitor"
    out: dict[str, list[str]] = defaultdict(list)
    links = through.objects.filter(**{f"{own}__in": rows.values("pk")}).order_by(f"{target}_id")
    for doc, name in links.values_list(f"{own}_id", f"{target}_id"):
        out[doc].append(name)
    return out


DETAIL_COLUMNS = [
    Column("name", "Name", "Link"),
    Column("date", "Date", "Date"),
    Column("party_name", "Party", "Data"),
    Column("customer_name", "Customer / Lead Name", "Data"),
    Column("opportunity_type", "Opportunity Type", "Link"),
    Column("lost_reasons", "Lost Reasons", "Data"),
    Column("competitors", "Competitors", "Data"),
    Column("detail", "Detailed Reason", "Data"),
    Column("sales_stage", "Sales Stage", "Link"),
    Column("opportunity_owner", "Owner", "Link"),
    Column("territory", "Territory", "Link"),
    Column("amount", "Amount", "Currency"),
]


def lost_report(
    user: Any, f: LostFilters, *, spec: Lost = OPPORTUNITY, limit: int | None = MAX_ROWS
) -> Report:
    rows = lost_documents(user, f, spec)
    _, precision = currency()
    totals = rows.aggregate(count=Count("pk"), amount=Sum(spec.amount, output_field=MONEY))
    total_count, total_amount = totals["count"] or 0, money(totals["amount"], precision)
    chart, by_reason = _trend(rows, spec, f, precision)
    summary = [
        summary_item(
            "Lost " + ("opportunities" if spec is OPPORTUNITY else "quotations"), total_count, "Int"
        ),
        summary_item("Lost amount", total_amount, "Currency"),
    ] + [
        summary_item(f"{row['lost_reason']} share", _share(row["count"], total_count), "Percent")
        for row in by_reason
    ]
    if f.group_by:
        group_rows = (
            by_reason
            if f.group_by == "lost_reason"
            else _grouped(rows, f.group_by, spec, precision)
        )
        for row in group_rows:
            row["share"] = _share(row["count"], total_count)
        label = {
            "lost_reason": "Lost Reason",
            "competitor": "Competitor",
            "opportunity_owner": "Owner",
            "territory": "Territory",
        }[f.group_by]
        columns = [
            Column(f.group_by, label, "Link"),
            Column("count", "Count", "Int"),
            Column("amount", "Amount", "Currency"),
            Column("share", "Share %", "Percent"),
        ]
        return Report(columns, group_rows, chart, summary)
    return Report(DETAIL_COLUMNS, _details(rows, spec, precision, limit), chart, summary)


def _share(count: int, total: int) -> Decimal:
    return round(Decimal(100) * count / total, 2) if total else Decimal(0)


def _grouped(rows: QuerySet[Any], by: str, spec: Lost, precision: int) -> list[dict[str, Any]]:
    column = {
        "lost_reason": "lost_reasons",
        "lost_reasons": "lost_reasons",
        "competitor": "competitors",
        "opportunity_owner": spec.owner,
        "territory": "territory_id",
    }[by]
    key = "lost_reason" if by == "lost_reasons" else by
    grouped = list(
        rows.values(column)
        .annotate(count=Count("pk"), amount=Sum(spec.amount, output_field=MONEY))
        .order_by("-count", column)
    )
    names = usernames(g[column] for g in grouped) if by == "opportunity_owner" else None
    out = []
    for g in grouped:
        value = g[column]
        label = names[value] if names is not None else (value or NOT_SET)
        out.append({key: label, "count": g["count"], "amount": money(g["amount"], precision)})
    return out


def _details(rows: QuerySet[Any], spec: Lost, precision: int, limit: int | None) -> list[dict]:
    ordered = rows.order_by("-modified", "-name")
    if limit is not None:
        ordered = ordered[:limit]
    fields = [
        "name",
        "party_name",
        "customer_name",
        spec.opportunity_type,
        "order_lost_reason",
        spec.stage,
        spec.owner,
        "territory_id",
        spec.amount,
    ]
    # the day in the company's time zone, by the database (not a conversion per row here)
    docs = list(ordered.annotate(_day=TruncDate("modified")).values(*fields, "_day"))
    if not docs:
        return []
    # their reasons and competitors, chosen by the same query (a subquery, not a list of
    # 49,000 names in the SQL of an export: 1.5 s of planning and matching at 1M)
    picked = rows if limit is None else rows.model.objects.filter(pk__in=ordered.values("pk"))
    reasons, rivals = _names(picked, "lost_reasons"), _names(picked, "competitors")
    owners = usernames(d[spec.owner] for d in docs)
    return [
        {
            "name": d["name"],
            "date": d["_day"],
            "party_name": d["party_name"],
            "customer_name": d["customer_name"],
            "opportunity_type": d[spec.opportunity_type] or "",
            "lost_reasons": ", ".join(reasons.get(d["name"], [])),
            "competitors": ", ".join(rivals.get(d["name"], [])),
            "detail": d["order_lost_reason"],
            "sales_stage": d[spec.stage] or "",
            "opportunity_owner": owners.get(d[spec.owner], NOT_SET),
            "territory": d["territory_id"] or "",
            "amount": money(d[spec.amount], precision),
        }
        for d in docs
    ]


def _trend(
    rows: QuerySet[Any], spec: Lost, f: LostFilters, precision: int
) -> tuple[Chart, list[dict[str, Any]]]:
    """Lost count (or amount) by reason per month, and each reason's count and amount: one
    GROUP BY reason and day in SQL, folded into months and reasons here."""
    start, end = f.span()
    months = [period_key(m, "monthly") for m in months_between(start, end)]
    per_day = (
        rows.annotate(day=TruncDate("modified"))
        .values("lost_reasons", "day")
        .annotate(count=Count("pk"), amount=Sum(spec.amount, output_field=MONEY))
    )
    series: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    reasons: dict[str, dict[str, Any]] = {}
    for row in per_day:
        reason = row["lost_reasons"] or NOT_SET
        value = row["count"] if f.measure == "count" else (row["amount"] or 0)
        series[reason][period_key(row["day"], "monthly")] += value
        total = reasons.setdefault(reason, {"lost_reason": reason, "count": 0, "amount": 0})
        total["count"] += row["count"]
        total["amount"] += row["amount"] or 0
    datasets = [
        {"name": reason, "values": [float(series[reason].get(m, 0)) for m in months]}
        for reason in sorted(series)
    ]
    by_reason = sorted(reasons.values(), key=lambda r: (-r["count"], r["lost_reason"]))
    for r in by_reason:
        r["amount"] = money(r["amount"], precision)
    return Chart("bar", months, datasets), by_reason
