"""Create and edit an opportunity: the form, its items table, and the pickers it calls."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from opportune.core.company import company_settings
from opportune.core.errors import ConflictError, ValidationError
from opportune.core.money import round_money
from opportune.core.pages import (
    apply_service_errors,
    as_http,
    item_input,
    posted_item_rows,
    split_item_field,
)
from opportune.crm import access, services
from opportune.crm.filters import search_customers, search_leads
from opportune.crm.forms import OpportunityForm
from opportune.crm.models import Lead, Opportunity
from opportune.masters import access as masters_access
from opportune.masters.access import masters_visible_to
from opportune.masters.models import Item
from opportune.masters.services import get_exchange_rate

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


@login_required
@as_http
def opportunity_create(request: SignedInRequest) -> HttpResponse:
    if not access.can_write_opportunities(request.user):
        raise PermissionDenied("You may not create opportunities.")
    owner = request.user.username
    initial: dict[str, Any] = {
        "opportunity_type": "Sales",
        "currency": company_settings().company_currency_id,
        "opportunity_owner": owner,
    }
    kind, party = request.GET.get("opportunity_from"), request.GET.get("party_name")
    if kind == "Lead" and party:
        lead = access.get_lead_for(request.user, party)
        values = services.opportunity_values_from_lead(lead)
        initial.update({**values, "opportunity_owner": values["opportunity_owner"] or owner})
    elif kind == "Customer" and party:
        customer = access.get_customer_for(request.user, party)
        initial.update(
            {
                "opportunity_from": "Customer",
                "party_name": customer.name,
                "currency": customer.default_currency_id or initial["currency"],
            }
        )
    return _form_page(request, None, initial)


@login_required
@as_http
def opportunity_edit(request: SignedInRequest, name: str) -> HttpResponse:
    opportunity = access.get_opportunity_for(request.user, name, write=True)
    return _form_page(request, opportunity, OpportunityForm.initial_for(opportunity))


def _form_page(request: SignedInRequest, opportunity: Opportunity | None, initial) -> HttpResponse:
    if request.method != "POST":
        rows = _rows_of(opportunity) if opportunity else []
        return _render(request, opportunity, OpportunityForm(initial=initial), rows)
    form = OpportunityForm(request.POST, initial=initial)
    rows = [{**row, "errors": {}} for row in posted_item_rows(request.POST)]
    if not form.is_valid():
        return _render(request, opportunity, form, rows)
    data = form.changed_values() if opportunity else form.new_values()
    if rows or (opportunity and opportunity.items.exists()):
        data["items"] = [item_input(row) for row in rows]
    access.check_party_link(request.user, SimpleNamespace(**data))  # an unseen lead: 404
    try:
        if opportunity is None:
            saved = services.create_opportunity(data=data, by=request.user)
        else:
            saved = services.update_opportunity(
                opportunity, data=data, version=form.cleaned_data.get("version"), by=request.user
            )
    except ValidationError as exc:
        _row_errors(exc, rows)
        apply_service_errors(form, exc, extra=("items",))
        return _render(
            request, opportunity, form, rows, items_error=" ".join(exc.fields.get("items", []))
        )
    except ConflictError as exc:
        form.add_error(None, exc.message)
        return _render(request, opportunity, form, rows, stale=True)
    messages.success(request, f"{saved.name} was saved.")
    return redirect("crm:opportunity_detail", name=saved.name)


def _render(request, opportunity, form, rows, **extra) -> HttpResponse:
    """The form page; a refused save answers 200 too (the browser logs 4xx pages as errors)."""
    kind = form["opportunity_from"].value() or "Lead"
    party = form["party_name"].value() or ""
    company = company_settings().company_currency_id
    return render(
        request,
        "crm/opportunity_form.html",
        {
            "form": form,
            "opportunity": opportunity,
            "rows": rows,
            "party_label": _party_label(request.user, kind, party),
            "company_currency": company,
            "form_config": {
                "precisions": form.currency_precisions,
                "stages": form.stage_probabilities,
                "company_currency": company,
            },
            **extra,
        },
    )


def _party_label(user, kind: str, name: str) -> str:
    if not name:
        return ""
    rows = access.leads_visible_to(user) if kind == "Lead" else access.customers_visible_to(user)
    party = rows.filter(pk=name).first()
    if party is None:
        return name
    return (
        f"{party.lead_name} · {party.company_name}".strip(" ·")
        if isinstance(party, Lead)
        else party.customer_name
    )


def _rows_of(opportunity: Opportunity) -> list[dict[str, Any]]:
    precision = opportunity.currency.precision
    return [
        {
            "item_code": i.item_code_id,
            "item_name": i.item_name,
            "qty": f"{i.qty.normalize():f}",
            "uom": i.uom_id,
            "rate": round_money(i.rate, precision),
            "amount": round_money(i.amount, precision),
            "errors": {},
        }
        for i in opportunity.items.all()
    ]


def _row_errors(exc: ValidationError, rows: list[dict[str, Any]]) -> None:
    """``items[1].qty`` -> the qty cell of the second row (removed from ``exc.fields``)."""
    for name in list(exc.fields):
        index, column = split_item_field(name)
        if index is not None and column and index < len(rows):
            rows[index]["errors"][column] = " ".join(exc.fields.pop(name))


# --- pickers -------------------------------------------------------------------------------------
@login_required
def party_search(request: SignedInRequest) -> HttpResponse:
    kind = request.GET.get("opportunity_from", "Lead")
    text = request.GET.get("party_q", "").strip()[:100]
    if kind == "Customer":
        rows = search_customers(
            access.customers_visible_to(request.user).filter(disabled=False), text
        ).order_by("customer_name")[:10]
        results = [(c.name, c.customer_name, c.email_id) for c in rows]
    else:
        rows = search_leads(
            access.leads_visible_to(request.user).filter(disabled=False), text
        ).order_by("-modified")[:10]
        results = [
            (lead.name, f"{lead.lead_name} · {lead.company_name}".strip(" ·"), lead.email_id)
            for lead in rows
        ]
    return render(
        request, "crm/_party_results.html", {"results": results, "kind": kind, "text": text}
    )


@login_required
def item_search(request: SignedInRequest) -> JsonResponse:
    text = request.GET.get("q", "").strip()[:100]
    rows = masters_visible_to(request.user, Item).filter(disabled=False, is_sales_item=True)
    if text:
        rows = rows.filter(name__icontains=text) | rows.filter(item_name__icontains=text)
    items = [
        {"code": i.name, "name": i.item_name, "rate": str(i.standard_rate), "uom": i.stock_uom_id}
        for i in rows.order_by("name")[:20]
    ]
    return JsonResponse({"results": items})


@login_required
def exchange_rate(request: SignedInRequest) -> JsonResponse:
    if not masters_access.can_read_masters(request.user):
        raise Http404("Not found.")
    currency = request.GET.get("currency", "")[:3]
    company = company_settings().company_currency_id
    rate = get_exchange_rate(currency, company, timezone.localdate())
    return JsonResponse(
        {
            "currency": currency,
            "company_currency": company,
            "rate": None if rate is None else str(rate),
        }
    )
