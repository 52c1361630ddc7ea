"""Forecast accuracy (issue 15): for each month, what the weighted forecast said before it began
against what was won in it, per owner and for the team, and the mean absolute error per horizon.

- The forecast of month M at horizon h (0, 30, 60, 90 days) is the weighted pipeline (company
  amount x probability / 100) of the opportunities open at the start of the day ``h`` days
  before M's first day (the end of the day before it: reports.snapshots) whose expected closing
  fell in M, credited to their owner then.
- Won in M: the opportunities that became Converted in M (the history record where the status
  turned Converted; reopened and won again counts again), at their amount then, credited to
  their owner then. (The forecast report counts sales orders; this one compares like with
  like: the opportunities' own amounts.)
- The error is forecast - won; the mean absolute error of a horizon is over the months whose
  forecast could be read (a day before the first kept day has none)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)

from opportune.crm.access import opportunities_visible_to, sees_all_sales_records
from opportune.reports.filters import ForecastAccuracyFilters
from opportune.reports.models import PipelineSnapshotDay, PipelineState
from opportune.reports.queries.base import (
    MONEY,
    NOT_SET,
    Chart,
    Column,
    Report,
    add_months,
    currency,
    money,
    months_between,
    period_key,
    summary_item,
    usernames,
)
from opportune.reports.snapshots import History, end_of, is_past, month_of

HORIZONS = (0, 30, 60, 90)
WEIGHTED = ExpressionWrapper(
    F("base_opportunity_amount") * F("probability") / 100, output_field=MONEY
)
TEAM = "Team"


def forecast_day(month: date, horizon: int) -> date:
    """The day whose end is the forecast's moment: the start of ``horizon`` days before."""
    return month - timedelta(days=horizon + 1)


def _visible(rows: QuerySet[Any], user: Any, f: ForecastAccuracyFilters) -> QuerySet[Any]:
    if not sees_all_sales_records(user):
        rows = rows.filter(name__in=opportunities_visible_to(user).order_by().values("name"))
    if f.opportunity_owner:
        owner = get_user_model().objects.filter(username=f.opportunity_owner).values("pk")
        rows = rows.filter(opportunity_owner_id__in=owner)
    return rows


def _forecasts(
    user: Any, f: ForecastAccuracyFilters, kept: list[tuple[date, int, date]]
) -> dict[tuple[Any, str], Decimal]:
    """{(owner id, "YYYY-MM|h"): weighted}: the states that held at the end of each (month,
    horizon)'s day with their expected closing in that month, in one GROUP BY. A state lasts
    over several days of its month, so it may count for several horizons: the states of the
    days' months are joined to the list of days (not sorted into one CASE, which would give a
    state to its first horizon only)."""
    if not kept:
        return {}
    rows = _visible(
        PipelineState.objects.filter(
            month__in={month_of(d) for *_, d in kept},
            # true of every state that held at some day's end (implied by the join below):
            # the condition of the index made for this query (pipeline_state_closing)
            valid_to__gt=F("valid_from"),
        ),
        user,
        f,
    )
    base, params = (
        rows.annotate(_w=WEIGHTED)
        .order_by()
        .values_list(
            "month", "valid_from", "valid_to", "expected_closing", "opportunity_owner_id", "_w"
        )
        .query.sql_with_params()
    )

    def day_param(value: date) -> Any:
        return value if connection.vendor == "postgresql" else value.isoformat()

    days = " UNION ALL ".join(
        "SELECT %s AS pair, %s AS month, %s AS day, %s AS lo, %s AS hi" for _ in kept
    )
    day_params: list[Any] = []
    for m, h, day in kept:
        day_params += [f"{period_key(m, 'monthly')}|{h}", day_param(month_of(day)), day_param(day)]
        day_params += [day_param(m), day_param(add_months(m, 1))]
    sql = (
        "SELECT d.pair, b.opportunity_owner_id, SUM(b._w) "
        f"FROM ({base}) b JOIN ({days}) d ON b.month = d.month AND b.valid_from <= d.day "
        "AND b.valid_to > d.day AND b.expected_closing >= d.lo AND b.expected_closing < d.hi "
        "GROUP BY d.pair, b.opportunity_owner_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *day_params])
        return {
            (owner, pair): Decimal(str(weighted or 0))
            for pair, owner, weighted in cursor.fetchall()
        }


def accuracy_data(
    user: Any, f: ForecastAccuracyFilters
) -> tuple[list[date], dict[tuple[Any, str], dict[str, Decimal]], set[tuple[str, int]]]:
    """The months, {(owner id, "YYYY-MM"): {"won", "f0", "f30", ...}} and the (month, horizon)
    pairs whose day is not kept. Two GROUP BYs and one look at the built days."""
    start, end = f.span()
    months = months_between(start, end)
    data: dict[tuple[Any, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    pairs = {
        (m, h): forecast_day(m, h)
        for m in months
        for h in HORIZONS
        if is_past(forecast_day(m, h)) and (not f.as_of or forecast_day(m, h) <= f.as_of)
    }
    built = set(
        PipelineSnapshotDay.objects.filter(date__in=set(pairs.values())).values_list(
            "date", flat=True
        )
    )
    missing = {(period_key(m, "monthly"), h) for (m, h), day in pairs.items() if day not in built}
    kept = [(m, h, day) for (m, h), day in pairs.items() if day in built]
    for (owner, pair), weighted in _forecasts(user, f, kept).items():
        month, horizon = pair.split("|")
        data[(owner, month)][f"f{horizon}"] += weighted
    until = end_of(min(end, f.as_of) if f.as_of else end)
    earlier = History.objects.filter(name=OuterRef("name")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    before = Subquery(earlier.order_by("-history_date", "-history_id").values("status")[:1])
    # the record turned Converted when the one before it was not: certainly so when no earlier
    # record of it was Converted (a probe of the small Converted-only index, crm 0021), and only
    # otherwise (won again after a reopening, or an edit while Converted) the record before it
    # is read
    converted_before = Exists(earlier.filter(status="Converted"))
    month_of = Case(
        *(
            When(
                history_date__gte=end_of(m - timedelta(days=1)),
                history_date__lt=end_of(add_months(m, 1) - timedelta(days=1)),
                then=Value(period_key(m, "monthly")),
            )
            for m in months
        ),
        output_field=CharField(),
    )
    won = (
        _visible(
            History.objects.filter(
                status="Converted",
                history_date__gte=end_of(start - timedelta(days=1)),
                history_date__lt=until,
            ).exclude(history_type="-"),
            user,
            f,
        )
        .annotate(before=before)
        .annotate(
            turned=Case(
                When(~converted_before, then=Value(True)),
                default=ExpressionWrapper(
                    Q(before__isnull=True) | ~Q(before="Converted"), output_field=BooleanField()
                ),
                output_field=BooleanField(),
            )
        )
        .filter(turned=True)
        .annotate(month=month_of)
        .order_by()
        .values("month", "opportunity_owner_id")
        .annotate(amount=Sum("base_opportunity_amount", output_field=MONEY))
    )
    for row in won:
        data[(row["opportunity_owner_id"], row["month"])]["won"] += row["amount"] or 0
    return months, data, missing


def _columns(first: Column) -> list[Column]:
    columns = [first, Column("won", "Won", "Currency")]
    columns += [Column(f"forecast_{h}", _horizon(h), "Currency") for h in HORIZONS]
    columns += [Column(f"error_{h}", f"Error {h} days before", "Currency") for h in HORIZONS]
    return columns


def _horizon(h: int) -> str:
    return "Forecast at the month's start" if h == 0 else f"Forecast {h} days before"


def accuracy_report(user: Any, f: ForecastAccuracyFilters) -> Report:
    months, data, missing = accuracy_data(user, f)
    _, precision = currency()
    labels = [period_key(m, "monthly") for m in months]
    future = {
        (period_key(m, "monthly"), h)
        for m in months
        for h in HORIZONS
        if not is_past(forecast_day(m, h)) or (f.as_of and forecast_day(m, h) > f.as_of)
    }
    unknown = missing | future

    # cells per (owner, month) and for the team per month
    cells: dict[Any, dict[str, dict[str, Decimal]]] = defaultdict(dict)
    team: dict[str, dict[str, Decimal]] = {m: defaultdict(Decimal) for m in labels}
    for (owner, month), values in data.items():
        if month not in team:
            continue
        cells[owner][month] = values
        for key, value in values.items():
            team[month][key] += value

    def figures(per_month: dict[str, dict[str, Decimal]]) -> dict[str, Any]:
        """Sums over the months, and the mean absolute error per horizon."""
        row: dict[str, Any] = {
            "won": money(sum((v.get("won", 0) for v in per_month.values()), Decimal(0)), precision)
        }
        for h in HORIZONS:
            known = [m for m in labels if (m, h) not in unknown]
            forecast = sum(
                (per_month.get(m, {}).get(f"f{h}", Decimal(0)) for m in known), Decimal(0)
            )
            row[f"forecast_{h}"] = money(forecast, precision) if known else None
            errors = [
                abs(
                    per_month.get(m, {}).get(f"f{h}", Decimal(0))
                    - per_month.get(m, {}).get("won", Decimal(0))
                )
                for m in known
            ]
            row[f"mae_{h}"] = (
                money(sum(errors, Decimal(0)) / len(errors), precision) if errors else None
            )
        return row

    def month_row(month: str, values: dict[str, Decimal]) -> dict[str, Any]:
        won = money(values.get("won", Decimal(0)), precision)
        row: dict[str, Any] = {"month": month, "won": won}
        for h in HORIZONS:
            if (month, h) in unknown:
                row[f"forecast_{h}"] = row[f"error_{h}"] = None
                continue
            forecast = money(values.get(f"f{h}", Decimal(0)), precision)
            row[f"forecast_{h}"] = forecast
            row[f"error_{h}"] = forecast - won
        return row

    team_row = figures(team)
    if f.group_by == "opportunity_owner":
        names = usernames(cells)
        rows = []
        for owner, per_month in cells.items():
            got = figures(per_month)
            rows.append({"opportunity_owner": names.get(owner, NOT_SET), **got})
        rows.sort(key=lambda r: r["opportunity_owner"])
        rows.append({"opportunity_owner": TEAM, **team_row})
        columns = [Column("opportunity_owner", "Owner", "Link"), Column("won", "Won", "Currency")]
        columns += [Column(f"forecast_{h}", _horizon(h), "Currency") for h in HORIZONS]
        columns += [
            Column(f"mae_{h}", f"Mean absolute error {h} days before", "Currency") for h in HORIZONS
        ]
        chart = Chart(
            "bar",
            [r["opportunity_owner"] for r in rows],
            [
                {
                    "name": f"Mean absolute error {h} days before",
                    "values": [float(r[f"mae_{h}"] or 0) for r in rows],
                }
                for h in HORIZONS
            ],
        )
    else:
        rows = [month_row(m, team[m]) for m in labels]
        columns = _columns(Column("month", "Month", "Data"))
        chart = Chart(
            "line",
            labels,
            [{"name": "Won", "values": [float(r["won"]) for r in rows]}]
            + [
                {
                    "name": _horizon(h),
                    "values": [float(r[f"forecast_{h}"] or 0) for r in rows],
                }
                for h in HORIZONS
            ],
        )
    summary = [summary_item("Won", team_row["won"], "Currency")]
    summary += [
        summary_item(f"Mean absolute error {h} days before", team_row[f"mae_{h}"], "Currency")
        for h in HORIZONS
    ]
    message = ""
    if missing:
        message = (
            f"{len(missing)} forecast(s) could not be read: the pipeline of those days was not "
            "kept (manage.py backfill_pipeline_snapshots builds it from the history)."
        )
    return Report(columns, rows, chart, summary, message)
