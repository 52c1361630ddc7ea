"""Leads and customers: lists, pages, and create/edit forms (all through the services)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from opportune.accounts.roles import is_sales
from opportune.core.errors import ConflictError, ValidationError
from opportune.core.pages import apply_service_errors, as_http, paginated, read_filters
from opportune.core.timeline import timeline_for
from opportune.crm import access, services
from opportune.crm.filters import (
    CUSTOMER_ORDERINGS,
    LEAD_ORDERINGS,
    CustomerFilters,
    LeadFilters,
    search_customers,
    search_leads,
)
from opportune.crm.forms import CustomerForm, LeadForm, user_choices
from opportune.crm.models import Customer, Lead, LeadSource
from opportune.masters.models import Territory

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


# --- leads ---------------------------------------------------------------------------------------
@login_required
def lead_list(request: SignedInRequest) -> HttpResponse:
    filters, errors = read_filters(LeadFilters, request.GET)
    rows = filters.filter(access.leads_visible_to(request.user)).select_related("lead_owner")
    q = request.GET.get("q", "").strip()[:200]
    page = paginated(
        search_leads(rows, q) if q else rows, request.GET, errors, orderings=LEAD_ORDERINGS
    )
    return render(
        request,
        "crm/lead_list.html",
        {
            "page": page,
            "errors": errors,
            "q": q,
            "selected": {k: request.GET.get(k, "") for k in ("status", "source", "lead_owner")},
            "statuses": Lead.Status.values,
            "sources": LeadSource.objects.values_list("pk", flat=True),
            "owners": user_choices("Any owner")[1:],
            "can_write": is_sales(request.user),
        },
    )


@login_required
@as_http
def lead_detail(request: SignedInRequest, name: str) -> HttpResponse:
    lead = access.get_lead_for(request.user, name)
    return render(
        request,
        "crm/lead_detail.html",
        {
            "lead": lead,
            "opportunities": access.opportunities_visible_to(request.user)
            .filter(lead=lead)
            .select_related("currency")[:50],
            "customers": lead.customers.all()[:10],
            "timeline": timeline_for("Lead", lead.name, limit=50),
            "can_write": is_sales(request.user),
        },
    )


@login_required
@as_http
def lead_create(request: SignedInRequest) -> HttpResponse:
    if not is_sales(request.user):
        raise PermissionDenied("You may not create leads.")
    return _lead_form(request, None, {"lead_owner": request.user.username})


@login_required
@as_http
def lead_edit(request: SignedInRequest, name: str) -> HttpResponse:
    lead = access.get_lead_for(request.user, name, write=True)
    return _lead_form(request, lead, LeadForm.initial_for(lead))


def _lead_form(request: SignedInRequest, lead: Lead | None, initial) -> HttpResponse:
    form = LeadForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if lead is None:
                saved = services.create_lead(data=form.new_values(), by=request.user)
            else:
                saved = services.update_lead(
                    lead,
                    data=form.changed_values(),
                    version=form.cleaned_data["version"],
                    by=request.user,
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Lead {saved.name} was saved.")
            return redirect("crm:lead_detail", name=saved.name)
    return render(
        request,
        "crm/party_form.html",
        {
            "form": form,
            "doc": lead,
            "doctype": "Lead",
            "cancel_url": "crm:lead_list" if lead is None else None,
        },
    )


@login_required
@as_http
def lead_make_customer(request: SignedInRequest, name: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("crm:lead_detail", name=name)
    lead = access.get_lead_for(request.user, name, write=True)
    try:
        customer = services.make_customer_from_lead(lead, by=request.user)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, exc.message)
        return redirect("crm:lead_detail", name=name)
    messages.success(request, f"Customer {customer.name} was made from lead {name}.")
    return redirect("crm:customer_detail", name=customer.name)


# --- customers -----------------------------------------------------------------------------------
@login_required
def customer_list(request: SignedInRequest) -> HttpResponse:
    filters, errors = read_filters(CustomerFilters, request.GET)
    rows = filters.filter(access.customers_visible_to(request.user))
    q = request.GET.get("q", "").strip()[:200]
    page = paginated(
        search_customers(rows, q) if q else rows,
        request.GET,
        errors,
        orderings=CUSTOMER_ORDERINGS,
        default="customer_name",
    )
    return render(
        request,
        "crm/customer_list.html",
        {
            "page": page,
            "errors": errors,
            "q": q,
            "selected": {k: request.GET.get(k, "") for k in ("territory", "customer_type")},
            "territories": Territory.objects.values_list("pk", flat=True),
            "types": Customer.CustomerType.values,
            "can_write": is_sales(request.user),
        },
    )


@login_required
@as_http
def customer_detail(request: SignedInRequest, name: str) -> HttpResponse:
    customer = access.get_customer_for(request.user, name)
    opportunities = (
        access.opportunities_visible_to(request.user)
        .filter(customer=customer)
        .select_related("currency", "opportunity_owner")
    )
    return render(
        request,
        "crm/customer_detail.html",
        {
            "customer": customer,
            "opportunities": opportunities[:100],
            "timeline": timeline_for("Customer", customer.name, limit=50),
            "can_write": is_sales(request.user),
        },
    )


@login_required
@as_http
def customer_create(request: SignedInRequest) -> HttpResponse:
    if not is_sales(request.user):
        raise PermissionDenied("You may not create customers.")
    return _customer_form(request, None, {"customer_type": "Company"})


@login_required
@as_http
def customer_edit(request: SignedInRequest, name: str) -> HttpResponse:
    customer = access.get_customer_for(request.user, name, write=True)
    return _customer_form(request, customer, CustomerForm.initial_for(customer))


def _customer_form(request: SignedInRequest, customer: Customer | None, initial) -> HttpResponse:
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if customer is None:
                saved = services.create_customer(data=form.new_values(), by=request.user)
            else:
                saved = services.update_customer(
                    customer,
                    data=form.changed_values(),
                    version=form.cleaned_data["version"],
                    by=request.user,
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Customer {saved.name} was saved.")
            return redirect("crm:customer_detail", name=saved.name)
    return render(
        request,
        "crm/party_form.html",
        {
            "form": form,
            "doc": customer,
            "doctype": "Customer",
            "cancel_url": "crm:customer_list" if customer is None else None,
        },
    )
