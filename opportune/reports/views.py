"""The report pages: each report's filters in the URL (a bookmark brings the same view back), its
chart, a sortable table and the CSV and XLSX exports; and the targets page (managers set them)."""

from __future__ import annotations

import typing
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from opportune.accounts.roles import sales_users
from opportune.core.errors import DomainError
from opportune.core.users import SignedInRequest
from opportune.crm.models import Competitor, LeadSource, OpportunityLostReason, OpportunityType
from opportune.masters.models import Territory
from opportune.reports import services
from opportune.reports.access import can_set_targets, can_view_reports
from opportune.reports.api import _targets_for
from opportune.reports.export import export
from opportune.reports.filters import read_report_filters
from opportune.reports.queries.base import currency
from opportune.reports.registry import REPORTS, ReportSpec, run_report

# the reports whose bar charts stack their series (parts of one whole)
STACKED = frozenset({"lost-opportunities", "lost-quotations", "opportunity-summary"})
LABELS = {
    "from_date": "From date",
    "to_date": "To date",
    "opportunity_owner": "Owner",
    "lost_reason": "Lost reason",
    "group_by": "Group by",
    "based_on": "Based on",
    "data_based_on": "Data based on",
    "range": "Range",
    "opportunity_type": "Opportunity type",
    "as_of": "As of (end of day)",
}


def _master_options(name: str) -> list[tuple[str, str]] | None:
    models: dict[str, Any] = {
        "lost_reason": OpportunityLostReason,
        "competitor": Competitor,
        "territory": Territory,
        "opportunity_type": OpportunityType,
        "source": LeadSource,
    }
    if name == "opportunity_owner":
        return [(u, u) for u in sales_users().values_list("username", flat=True)]
    if name in models:
        return [(n, n) for n in models[name].objects.values_list("pk", flat=True)]
    return None


def _choices(annotation: Any) -> tuple[list[str], bool]:
    """The values a Literal filter takes (inside Optional or a list), and whether it is a list."""
    is_list = False
    stack = [annotation]
    while stack:
        current = stack.pop()
        origin = typing.get_origin(current)
        if origin is typing.Literal:
            return [str(v) for v in typing.get_args(current)], is_list
        if origin is list:
            is_list = True
        stack.extend(typing.get_args(current))
    return [], is_list


def filter_fields(spec: ReportSpec, f: Any, raw: Any) -> list[dict[str, Any]]:
    """What the filter form shows: one field per filter, with its options and value."""
    fields = []
    start, end = f.span()
    shown_names = getattr(spec.filters, "page_fields", None)
    for name, info in spec.filters.model_fields.items():
        if shown_names is not None and name not in shown_names:
            continue
        value = getattr(f, name)
        field: dict[str, Any] = {
            "name": name,
            "label": LABELS.get(name, name.replace("_", " ").capitalize()),
        }
        if name in ("from_date", "to_date", "as_of"):
            field["kind"] = "date"
            if value is None and name != "as_of" and not spec.filters.dates_optional:
                value = start if name == "from_date" else end
            field["value"] = value.isoformat() if value else ""
        else:
            choices, is_list = _choices(info.annotation)
            options = [(c, c.replace("_", " ").capitalize() if c.islower() else c) for c in choices]
            if not choices:
                options = _master_options(name) or []
            field["kind"] = "multi" if is_list else "select"
            field["options"] = options
            field["blank"] = info.default is None
            if is_list:
                field["value"] = [str(v) for v in (value or [])]
            else:
                field["value"] = "" if value is None else str(value)
        fields.append(field)
    return fields


def shown(value: Any, fieldtype: str) -> tuple[str, str]:
    """A cell as the table shows it, and the key it sorts by (numbers as numbers)."""
    if value is None or value == "":
        return "", ""
    if isinstance(value, date):
        return value.isoformat(), value.isoformat()
    if fieldtype in ("Currency", "Float", "Percent") and isinstance(value, Decimal | float | int):
        number = Decimal(str(value))
        return f"{number:,.2f}", str(number)
    if fieldtype == "Int" and isinstance(value, int):
        return f"{value:,}", str(value)
    return str(value), str(value).lower()


def drill_url(query: Any, param: str, value: str) -> str:
    """The same report with ``param=value`` (the page's other filters kept)."""
    linked = query.copy()
    linked.pop("format", None)
    linked[param] = value
    return "?" + linked.urlencode()


def table_of(report: Any, query: Any = None) -> list[list[dict[str, Any]]]:
    out = []
    for row in report.rows:
        cells = []
        for i, column in enumerate(report.columns):
            text, key = shown(row.get(column.fieldname), column.fieldtype)
            numeric = column.fieldtype in ("Currency", "Float", "Percent", "Int")
            cell = {"text": text, "key": key, "num": numeric}
            if i == 0 and query is not None and report.drill and row.get(report.drill):
                cell["href"] = drill_url(query, report.drill, str(row[report.drill]))
            cells.append(cell)
        out.append(cells)
    return out


def chart_of(report: Any, query: Any) -> dict[str, Any] | None:
    """The chart's JSON, with the link of each bar when the report drills down."""
    if not report.chart:
        return None
    chart = report.chart.as_dict()
    if report.drill and report.drill_keys:
        chart["links"] = [
            drill_url(query, report.drill, key) if key else None for key in report.drill_keys
        ]
    return chart


def _report_page(spec: ReportSpec):
    @login_required
    def view(request: SignedInRequest) -> HttpResponseBase:
        f, errors = read_report_filters(spec.filters, request.GET)
        fmt = request.GET.get("format", "")
        if fmt in ("csv", "xlsx"):
            report = run_report(spec, request.user, f, everything=True)
            return export(report, fmt, slug=spec.slug, title=spec.title)
        report = run_report(spec, request.user, f)
        query = request.GET.copy()
        query.pop("format", None)
        context = {
            "spec": spec,
            "reports": REPORTS.values(),
            "report": report,
            "chart": chart_of(report, request.GET),
            "stacked": spec.slug in STACKED,
            "fields": filter_fields(spec, f, request.GET),
            "errors": errors,
            "query": query.urlencode(),
            "company_currency": currency()[0],
            "table": table_of(report, request.GET),
            "summary": [
                {"label": item["label"], "text": shown(item["value"], item["fieldtype"])[0] or "–"}
                for item in report.summary
            ],
            "allowed": can_view_reports(request.user),
        }
        return render(request, "reports/report.html", context)

    view.__name__ = spec.slug.replace("-", "_")
    return view


REPORT_VIEWS = {slug: _report_page(spec) for slug, spec in REPORTS.items()}


@login_required
def index(request: SignedInRequest) -> HttpResponse:
    return render(
        request,
        "reports/index.html",
        {"reports": REPORTS.values(), "can_set_targets": can_set_targets(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: SignedInRequest) -> HttpResponse:
    """The targets of a year; a manager sets one (user, month, amount) with the form."""
    manager = can_set_targets(request.user)
    if request.method == "POST":
        if not manager:
            return HttpResponse("Only a sales manager sets the targets.", status=403)
        try:
            month = date.fromisoformat(request.POST.get("month", "")[:7] + "-01")
            amount = Decimal(request.POST.get("amount", "").strip() or "x")
        except (ValueError, ArithmeticError):
            messages.error(request, "Enter a month (YYYY-MM) and an amount.")
            return redirect("reports:targets")
        try:
            services.set_sales_target(
                user=request.POST.get("user", "")[:150],
                month=month,
                amount=amount,
                by=request.user,
            )
        except DomainError as exc:
            detail = "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message
            messages.error(request, detail)
        else:
            messages.success(request, "Target saved.")
        return redirect(f"{request.path}?year={month.year}")
    try:
        year = int(request.GET.get("year", "") or timezone.localdate().year)
        year = min(max(year, 1), 9999)
    except ValueError:
        year = timezone.localdate().year
    rows = _targets_for(request.user).filter(month__year=year)
    return render(
        request,
        "reports/targets.html",
        {
            "targets": rows,
            "year": year,
            "manager": manager,
            "users": list(sales_users().values_list("username", flat=True)) if manager else [],
            "company_currency": currency()[0],
            "this_month": timezone.localdate().strftime("%Y-%m"),
        },
    )
