"""Opportunity list (with bulk actions) and the opportunity page with its actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.core.errors import DomainError, ValidationError
from opportune.core.export import FORMATS, export_queryset, ordered
from opportune.core.pages import as_http, export_query, paginated, safe_next, version_of
from opportune.core.saved_views_pages import default_view_redirect
from opportune.core.timeline import timeline_for
from opportune.crm import access, services
from opportune.crm.awaiting_response import overdue_for_first_response
from opportune.crm.filters import OPPORTUNITY_NULLABLE, OPPORTUNITY_ORDERINGS
from opportune.crm.forms import sales_users
from opportune.crm.models import Competitor, Customer, OpportunityLostReason
from opportune.crm.views.common import company_currency
from opportune.crm.views.lists import (
    filter_options,
    listed_opportunities,
    read_opportunity_filters,
)
from opportune.crm.win_probability import win_prediction_of

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


# the list's columns in its exports (label, path): those of the page, and the currency and
# probability that its amount cell shows
EXPORT_COLUMNS = (
    ("ID", "name"),
    ("Title", "title"),
    ("Opportunity From", "opportunity_from"),
    ("Party", "party_name"),
    ("Status", "status"),
    ("Sales Stage", "sales_stage_id"),
    ("Opportunity Owner", "opportunity_owner__username"),
    ("Opportunity Amount", "opportunity_amount"),
    ("Currency", "currency_id"),
    ("Probability (%)", "probability"),
    ("Expected Closing Date", "expected_closing"),
    ("Modified", "modified"),
)


@login_required
def opportunity_list(
    request: SignedInRequest,
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    if opened := default_view_redirect(request, "opportunities"):
        return opened
    found = read_opportunity_filters(request)
    errors, context = found.errors, found.context
    fmt = request.GET.get("format")
    if fmt in FORMATS:  # every row the filters and search give, in the list's order
        rows = ordered(found.rows, request.GET.get("ordering"), OPPORTUNITY_ORDERINGS)
        return export_queryset(
            fmt, rows, EXPORT_COLUMNS, filename="opportunities", title="Opportunities"
        )
    page = paginated(
        listed_opportunities(found, timezone.now()),
        request.GET,
        errors,
        orderings=OPPORTUNITY_ORDERINGS,
        nullable=OPPORTUNITY_NULLABLE,
    )
    ordering = request.GET.get("ordering") or "-modified"
    if "ordering" in errors:
        ordering = "-modified"
    company, precision = company_currency()
    return render(
        request,
        "crm/opportunity_list.html",
        {
            **context,
            **filter_options(),
            "page": page,
            "errors": errors,
            "ordering": ordering,
            "company_currency": company,
            "company_precision": precision,
            "can_write": access.can_write_opportunities(request.user),
            "export_query": export_query(request),
        },
    )


@login_required
@require_POST
def opportunity_bulk(request: SignedInRequest) -> HttpResponse:
    back = safe_next(request, "crm:opportunity_list")
    if not access.can_write_opportunities(request.user):
        messages.error(request, "You may not change opportunities.")
        return redirect(back)
    wanted = _bulk_targets(request.POST.getlist("selected"))
    found = access.opportunities_writable_by(request.user).in_bulk(list(wanted))
    action = request.POST.get("action", "")
    value = request.POST.get(f"{action}_value") or None
    try:
        result = services.bulk_update_opportunities(
            [(found[n], v) for n, v in wanted.items() if n in found],
            action=action,
            value=value,
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if result.done:
        messages.success(
            request,
            f"Updated {len(result.done)} opportunit{'y' if len(result.done) == 1 else 'ies'}.",
        )
    for name, why in result.refused.items():
        messages.error(request, f"{name}: {why}")
    return redirect(back)


def _bulk_targets(values: list[str]) -> dict[str, int | None]:
    """``["CRM-OPP-2026-00001@3", ...]`` -> ``{name: version seen}``."""
    out: dict[str, int | None] = {}
    for value in values:
        name, _, version = value.rpartition("@")
        if not name:
            name, version = version, ""
        out[name] = int(version) if version.isdigit() else None
    return out


# --- the opportunity page ------------------------------------------------------------------------
def _page(request: SignedInRequest, name: str, *, status: int = 200, **extra) -> HttpResponse:
    opportunity = access.get_opportunity_for(request.user, name)
    opportunity = (
        access.opportunities_visible_to(request.user)
        .select_related(
            "currency",
            "opportunity_owner",
            "contact_by",
            "owner",
            "modified_by",
            "lead",
            "customer",
            "sales_stage",
            "contact_person",
        )
        .prefetch_related("items", "lost_reasons", "competitors")
        .get(pk=opportunity.pk)
    )
    company, precision = company_currency()
    context = {
        "opportunity": opportunity,
        "can_write": access.can_write_opportunities(request.user),
        "timeline": timeline_for("Opportunity", opportunity.name),
        "lost_reason_choices": OpportunityLostReason.objects.values_list("pk", flat=True),
        "competitor_choices": Competitor.objects.values_list("pk", flat=True),
        "users": sales_users(),
        "made_customer": Customer.objects.filter(opportunity_name=opportunity).first(),
        "response_overdue": overdue_for_first_response(opportunity, timezone.now()),
        "company_currency": company,
        "company_precision": precision,
        "win": win_prediction_of(opportunity),
        "lost_errors": {},
        "lost_selected": {"reasons": [], "competitors": [], "detail": ""},
        **extra,
    }
    return render(request, "crm/opportunity_detail.html", context, status=status)


@login_required
@as_http
def opportunity_detail(request: SignedInRequest, name: str) -> HttpResponse:
    return _page(request, name)


def _act(request: SignedInRequest, name: str, action, success: str) -> HttpResponse:
    """Run one action on the opportunity; a refused action is told on the page."""
    opportunity = access.get_opportunity_for(request.user, name, write=True)
    try:
        action(opportunity)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("crm:opportunity_detail", name=name)


@login_required
@require_POST
@as_http
def opportunity_declare_lost(request: SignedInRequest, name: str) -> HttpResponse:
    opportunity = access.get_opportunity_for(request.user, name, write=True)
    chosen: dict[str, Any] = {
        "reasons": request.POST.getlist("lost_reasons"),
        "competitors": request.POST.getlist("competitors"),
        "detail": request.POST.get("order_lost_reason", "").strip(),
    }
    try:
        services.declare_opportunity_lost(
            opportunity,
            lost_reasons=chosen["reasons"],
            competitors=chosen["competitors"],
            detail=chosen["detail"] or None,
            version=version_of(request),
            by=request.user,
        )
    except ValidationError as exc:
        errors = {field: " ".join(msgs) for field, msgs in exc.fields.items()}
        return _page(
            request,
            name,
            lost_errors=errors or {"general": exc.message},
            lost_selected=chosen,
            open_dialog="lost-dialog",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{name} was declared lost.")
    return redirect("crm:opportunity_detail", name=name)


@login_required
@require_POST
@as_http
def opportunity_reopen(request: SignedInRequest, name: str) -> HttpResponse:
    version = version_of(request)
    return _act(
        request,
        name,
        lambda o: services.reopen_opportunity(o, version=version, by=request.user),
        f"{name} is open again.",
    )


@login_required
@require_POST
@as_http
def opportunity_close(request: SignedInRequest, name: str) -> HttpResponse:
    version = version_of(request)
    return _act(
        request,
        name,
        lambda o: services.set_opportunity_status(
            o, status="Closed", version=version, by=request.user
        ),
        f"{name} was closed.",
    )


@login_required
@require_POST
@as_http
def opportunity_assign(request: SignedInRequest, name: str) -> HttpResponse:
    version, owner = version_of(request), request.POST.get("opportunity_owner") or None
    label = f"assigned to {owner}" if owner else "unassigned"
    return _act(
        request,
        name,
        lambda o: services.update_opportunity(
            o, data={"opportunity_owner": owner}, version=version, by=request.user
        ),
        f"{name} is {label}.",
    )


@login_required
@require_POST
@as_http
def opportunity_comment(request: SignedInRequest, name: str) -> HttpResponse:
    content = request.POST.get("content", "")
    return _act(
        request,
        name,
        lambda o: services.add_opportunity_comment(o, content=content, by=request.user),
        "Comment added.",
    )


@login_required
@require_POST
@as_http
def opportunity_make_customer(request: SignedInRequest, name: str) -> HttpResponse:
    opportunity = access.get_opportunity_for(request.user, name, write=True)
    try:
        customer = services.make_customer_from_opportunity(opportunity, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("crm:opportunity_detail", name=name)
    messages.success(request, f"Customer {customer.name} was made from {name}.")
    return redirect("crm:customer_detail", name=customer.name)
