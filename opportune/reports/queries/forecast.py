"""The forecast: the weighted pipeline (company-currency amount x probability) of the
opportunities still being worked, by the month they are expected to close and by owner, beside
what was actually won in those months (submitted sales orders, company currency, by order date,
credited to the owner of the opportunity they came from, else to who made the order) and the
targets managers set (SalesTarget), with attainment (won / target)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

from opportune.crm.access import sees_all_sales_records
from opportune.crm.models import Opportunity
from opportune.reports.filters import ForecastFilters
from opportune.reports.models import SalesTarget, WinPrediction
from opportune.reports.queries.base import (
    MONEY,
    NOT_SET,
    Chart,
    Column,
    Report,
    currency,
    money,
    months_between,
    period_key,
    summary_item,
    usernames,
)
from opportune.reports.snapshots import opportunity_rows
from opportune.selling.access import sales_orders_visible_to

WEIGHTED = ExpressionWrapper(
    F("base_opportunity_amount") * F("probability") / 100, output_field=MONEY
)


def _month(day: date) -> str:
    return period_key(day, "monthly")


def forecast_data(user: Any, f: ForecastFilters) -> dict[tuple[Any, str], dict[str, Decimal]]:
    """{(owner id, "YYYY-MM"): {"pipeline", "weighted", "count", "won", "target"}}, from three
    GROUP BYs (pipeline by owner and closing day, won by owner and order day, the targets)."""
    start, end = f.span()
    data: dict[tuple[Any, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    pipeline = opportunity_rows(user, f.as_of).filter(
        status__in=Opportunity.ACTIVE_STATUSES,
        expected_closing__gte=start,
        expected_closing__lte=end,
    )
    won = sales_orders_visible_to(user).filter(
        docstatus=1, transaction_date__gte=start, transaction_date__lte=end
    )
    if f.as_of:  # what had been won by the end of that day
        won = won.filter(transaction_date__lte=f.as_of)
    targets = SalesTarget.objects.filter(month__gte=start, month__lte=end)
    if not sees_all_sales_records(user):
        targets = targets.filter(user=user.pk)
    if f.opportunity_owner:
        pipeline = pipeline.filter(
            opportunity_owner_id__in=get_user_model()
            .objects.filter(username=f.opportunity_owner)
            .values("pk")
        )
        won = won.filter(_credited_username(f.opportunity_owner))
        targets = targets.filter(user__username=f.opportunity_owner)
    per_day = (
        pipeline.order_by()
        .values("opportunity_owner_id", "expected_closing")
        .annotate(
            count=Count("*"),
            amount=Sum("base_opportunity_amount", output_field=MONEY),
            weighted=Sum(WEIGHTED),
        )
    )
    for row in per_day:
        cell = data[(row["opportunity_owner_id"], _month(row["expected_closing"]))]
        cell["count"] += row["count"]
        cell["pipeline"] += row["amount"] or 0
        cell["weighted"] += row["weighted"] or 0
    _add_model_weighted(data, pipeline)
    won_per_day = (
        won.order_by()
        .annotate(credited=Coalesce("opportunity__opportunity_owner_id", "owner_id"))
        .values("credited", "transaction_date")
        .annotate(amount=Sum("base_grand_total", output_field=MONEY))
    )
    for row in won_per_day:
        data[(row["credited"], _month(row["transaction_date"]))]["won"] += row["amount"] or 0
    for user_id, month, amount in targets.values_list("user_id", "month", "amount"):
        data[(user_id, _month(month))]["target"] += amount
    return data


def _add_model_weighted(data: dict[tuple[Any, str], Any], pipeline: Any) -> None:
    """The same pipeline weighted by the model's win probability (reports.win_model) instead of
    the user's: one more GROUP BY over the stored predictions. Today's pipeline only: the model's
    predictions are of today, so a past day's pipeline (``as_of``: the kept states) has no such line."""
    if pipeline.model is not Opportunity:
        return
    weighted = ExpressionWrapper(
        F("opportunity__base_opportunity_amount") * F("win_probability") / 100, output_field=MONEY
    )
    rows = (
        WinPrediction.objects.filter(opportunity__in=pipeline.order_by().values("pk"))
        .values("opportunity__opportunity_owner_id", "opportunity__expected_closing")
        .annotate(amount=Sum(weighted))
        .order_by()
    )
    for row in rows:
        month = _month(row["opportunity__expected_closing"])
        data[(row["opportunity__opportunity_owner_id"], month)]["model_weighted"] += Decimal(
            row["amount"] or 0
        )


def _credited_username(username: str) -> Q:
    return Q(opportunity__opportunity_owner__username=username) | Q(
        opportunity__opportunity_owner__isnull=True, owner__username=username
    )


COLUMNS = [
    Column("count", "Open opportunities", "Int"),
    Column("pipeline", "Pipeline", "Currency"),
    Column("weighted", "Weighted pipeline", "Currency"),
    Column("model_weighted", "Model-weighted pipeline", "Currency"),
    Column("won", "Won", "Currency"),
    Column("target", "Target", "Currency"),
    Column("attainment", "Attainment %", "Percent"),
]


def _attainment(won: Decimal, target: Decimal) -> Decimal | None:
    return round(Decimal(100) * won / target, 2) if target else None


def forecast_report(user: Any, f: ForecastFilters) -> Report:
    start, end = f.span()
    months = [_month(m) for m in months_between(start, end)]
    data = forecast_data(user, f)
    _, precision = currency()
    fields = ("count", "pipeline", "weighted", "model_weighted", "won", "target")
    by_month: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    by_owner: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (owner, month), cell in data.items():
        for name in fields:
            by_month[month][name] += cell.get(name, Decimal(0))
            by_owner[owner][name] += cell.get(name, Decimal(0))

    def row_of(values: dict[str, Decimal]) -> dict[str, Any]:
        row: dict[str, Any] = {"count": int(values.get("count", 0))}
        for name in fields[1:]:
            row[name] = money(values.get(name), precision)
        row["attainment"] = _attainment(row["won"], row["target"])
        return row

    if f.group_by == "opportunity_owner":
        names = usernames(by_owner)
        rows = [
            {"opportunity_owner": names.get(owner, NOT_SET), **row_of(values)}
            for owner, values in by_owner.items()
        ]
        rows.sort(key=lambda r: r["opportunity_owner"])
        columns = [Column("opportunity_owner", "Owner", "Link"), *COLUMNS]
        labels = [r["opportunity_owner"] for r in rows]
    else:
        rows = [{"month": m, **row_of(by_month.get(m, {}))} for m in months]
        columns = [Column("month", "Month", "Data"), *COLUMNS]
        labels = months
    chart = Chart(
        "bar",
        labels,
        [
            {"name": "Weighted pipeline", "values": [float(r["weighted"]) for r in rows]},
            {
                "name": "Model-weighted pipeline",
                "values": [float(r["model_weighted"]) for r in rows],
            },
            {"name": "Won", "values": [float(r["won"]) for r in rows]},
            {"name": "Target", "values": [float(r["target"]) for r in rows]},
        ],
    )
    total = row_of({n: sum((r[n] for r in rows), Decimal(0)) for n in fields})
    summary = [
        summary_item("Weighted pipeline", total["weighted"], "Currency"),
        summary_item("Model-weighted pipeline", total["model_weighted"], "Currency"),
        summary_item("Won", total["won"], "Currency"),
        summary_item("Target", total["target"], "Currency"),
        summary_item("Attainment %", total["attainment"], "Percent"),
    ]
    return Report(columns, rows, chart, summary)
