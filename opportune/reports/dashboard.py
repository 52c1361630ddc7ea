"""What the reports add to other apps' pages (registered in ReportsConfig.ready): the Reports
link of the navigation, and the home dashboard's charts, from the same queries as the reports:
the open pipeline by stage for everyone who works opportunities, and for managers the team's
month (pipeline and forecast against target per owner, the losses of the month by reason)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from opportune.accounts.roles import is_manager
from opportune.core.slots import NavLink
from opportune.core.views import HomeSection
from opportune.crm.models import Opportunity
from opportune.reports.access import can_view_reports
from opportune.reports.filters import ForecastFilters, LostFilters
from opportune.reports.queries.base import currency
from opportune.reports.queries.forecast import forecast_report
from opportune.reports.queries.lost import lost_report
from opportune.reports.queries.summary import stage_amounts_chart


def nav_links(user: Any) -> list[NavLink]:
    if user is None or not can_view_reports(user):
        return []
    return [NavLink("Reports", reverse("reports:index"), ("/reports/",), 60)]


def pipeline(request: Any) -> dict[str, Any] | None:
    """The whole open pipeline by stage (amount, split by status): the summary report's chart,
    without its table (one index-only aggregate at a million opportunities)."""
    if not can_view_reports(request.user):
        return None
    statuses: list[Any] = list(Opportunity.ACTIVE_STATUSES)
    chart = stage_amounts_chart(request.user, statuses)
    stages = chart.labels
    totals = [sum(d["values"][i] for d in chart.datasets) for i in range(len(stages))]
    query = "&".join(f"status={s}" for s in statuses)
    return {
        "chart": chart.as_dict(),
        "stage_rows": [{"stage": s, "amount": t} for s, t in zip(stages, totals, strict=True)],
        "company_currency": currency()[0],
        "report_url": f"{reverse('reports:opportunity_summary')}?data_based_on=amount&{query}",
    }


def team(request: Any) -> dict[str, Any] | None:
    """A manager's team this month: per owner the pipeline closing this month, weighted,
    won and target; and the month's losses by reason."""
    if not is_manager(request.user):
        return None
    today = timezone.localdate()
    first = today.replace(day=1)
    forecast = forecast_report(
        request.user,
        ForecastFilters(from_date=first, to_date=today, group_by="opportunity_owner"),
    )
    losses = lost_report(
        request.user, LostFilters(from_date=first, to_date=today, group_by="lost_reason")
    )
    return {
        "month": first,
        "forecast_chart": forecast.chart.as_dict() if forecast.chart else None,
        "owners": forecast.rows,
        "losses": losses.rows,
        "lost_count": losses.summary[0]["value"],
        "lost_amount": losses.summary[1]["value"],
        "company_currency": currency()[0],
        "forecast_url": reverse("reports:forecast") + "?group_by=opportunity_owner",
        "lost_url": reverse("reports:lost_opportunities")
        + f"?from_date={first.isoformat()}&group_by=lost_reason",
    }


SECTIONS = (
    HomeSection("reports-pipeline", "reports/home/pipeline.html", pipeline, order=20),
    HomeSection("reports-team", "reports/home/team.html", team, order=22),
)
