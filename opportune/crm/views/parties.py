"""Leads and customers: lists, pages, and create/edit forms (all through the services)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opportune.accounts.roles import is_manager, is_sales
from opportune.activities.todos import with_next_activity
from opportune.core.errors import ConflictError, ValidationError
from opportune.core.pages import (
    ListExport,
    apply_service_errors,
    as_http,
    list_context,
    list_export,
)
from opportune.core.saved_views_pages import default_view_redirect
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
from opportune.crm.services.duplicates import same_email_or_phone, similar_names
from opportune.masters.models import Territory

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


LEAD_EXPORT = ListExport(
    columns=(
        ("ID", "name"),
        ("Person Name", "lead_name"),
        ("Organization Name", "company_name"),
        ("Email", "email_id"),
        ("Phone", "phone"),
        ("Mobile No", "mobile_no"),
        ("Status", "status"),
        ("Source", "source_id"),
        ("Territory", "territory_id"),
        ("Lead Owner", "lead_owner__username"),
        ("City", "city"),
        ("Country", "country"),
        ("Modified", "modified"),
    ),
    filename="leads",
    title="Leads",
)
CUSTOMER_EXPORT = ListExport(
    columns=(
        ("ID", "name"),
        ("Customer Name", "customer_name"),
        ("Customer Type", "customer_type"),
        ("Customer Group", "customer_group_id"),
        ("Territory", "territory_id"),
        ("Email", "email_id"),
        ("Phone", "phone"),
        ("Mobile No", "mobile_no"),
        ("Website", "website"),
        ("From Lead", "lead_name_id"),
        ("Disabled", "disabled"),
        ("Modified", "modified"),
    ),
    filename="customers",
    title="Customers",
)


# --- leads ---------------------------------------------------------------------------------------
@login_required
def lead_list(request: SignedInRequest) -> HttpResponseBase:
    if opened := default_view_redirect(request, "leads"):
        return opened
    rows = access.leads_visible_to(request.user).select_related("lead_owner")
    file = list_export(
        request, LeadFilters, rows, LEAD_EXPORT, search=search_leads, orderings=LEAD_ORDERINGS
    )
    if file is not None:
        return file
    return render(
        request,
        "crm/lead_list.html",
        {
            **list_context(
                request,
                LeadFilters,
                with_next_activity(rows, Lead.doctype),
                search=search_leads,
                orderings=LEAD_ORDERINGS,
            ),
            "selected": {k: request.GET.get(k, "") for k in ("status", "source", "lead_owner")},
            "statuses": Lead.Status.values,
            "sources": LeadSource.objects.values_list("pk", flat=True),
            "owners": user_choices("Any owner")[1:],
            "can_write": is_sales(request.user),
            "can_export": True,
            "saved_views_resource": "leads",
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
            "can_merge": is_manager(request.user),
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


@login_required
@require_POST
@as_http
def lead_comment(request: SignedInRequest, name: str) -> HttpResponse:
    """A comment on the lead's timeline (the same service as an opportunity's comments)."""
    lead = access.get_lead_for(request.user, name, write=True)
    try:
        services.add_lead_comment(lead, content=request.POST.get("content", ""), by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Comment added.")
    return redirect("crm:lead_detail", name=name)


# --- customers -----------------------------------------------------------------------------------
@login_required
def customer_list(request: SignedInRequest) -> HttpResponseBase:
    if opened := default_view_redirect(request, "customers"):
        return opened
    rows = access.customers_visible_to(request.user)
    file = list_export(
        request,
        CustomerFilters,
        rows,
        CUSTOMER_EXPORT,
        search=search_customers,
        orderings=CUSTOMER_ORDERINGS,
        default="customer_name",
    )
    if file is not None:
        return file
    return render(
        request,
        "crm/customer_list.html",
        {
            **list_context(
                request,
                CustomerFilters,
                rows,
                search=search_customers,
                orderings=CUSTOMER_ORDERINGS,
                default="customer_name",
            ),
            "selected": {k: request.GET.get(k, "") for k in ("territory", "customer_type")},
            "territories": Territory.objects.values_list("pk", flat=True),
            "types": Customer.CustomerType.values,
            "can_write": is_sales(request.user),
            "can_export": True,
            "saved_views_resource": "customers",
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
            "can_merge": is_manager(request.user),
        },
    )


# --- the create/edit page of either ------------------------------------------------------------
@dataclass(frozen=True)
class PartyFormPage:
    """What the create/edit page of a lead or a customer needs to know about its doctype."""

    doctype: str
    form_class: type[LeadForm] | type[CustomerForm]
    get_for: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    new_initial: Callable[[SignedInRequest], dict[str, Any]]

    @property
    def url(self) -> str:
        return f"crm:{self.doctype.lower()}"


LEAD_FORM = PartyFormPage(
    doctype="Lead",
    form_class=LeadForm,
    get_for=access.get_lead_for,
    create=services.create_lead,
    update=services.update_lead,
    new_initial=lambda request: {"lead_owner": request.user.username},
)
CUSTOMER_FORM = PartyFormPage(
    doctype="Customer",
    form_class=CustomerForm,
    get_for=access.get_customer_for,
    create=services.create_customer,
    update=services.update_customer,
    new_initial=lambda request: {"customer_type": "Company"},
)


def likely_duplicates(doctype: str, values: dict[str, Any]) -> list[dict[str, str]]:
    """What a new lead or customer page shows before saving: those with the same email address
    or phone number, then those with a similar name (crm.services.duplicates)."""
    found = same_email_or_phone(doctype, values)
    name = values.get("lead_name" if doctype == "Lead" else "customer_name") or ""
    seen = {c["name"] for c in found}
    for similar in similar_names(doctype, name, exclude=seen):
        found.append({**similar, "similar_name": "yes"})
    return found


@login_required
@as_http
def lead_form(request: SignedInRequest, name: str | None = None) -> HttpResponse:
    return party_form(request, LEAD_FORM, name)


@login_required
@as_http
def customer_form(request: SignedInRequest, name: str | None = None) -> HttpResponse:
    return party_form(request, CUSTOMER_FORM, name)


def party_form(request: SignedInRequest, pages: PartyFormPage, name: str | None) -> HttpResponse:
    """A new party (sales users only) or an edit of one the user may change; an edit sends only
    the changed values, with the version the form was rendered with."""
    if name is None:
        if not is_sales(request.user):
            raise PermissionDenied(f"You may not create {pages.doctype.lower()}s.")
        party, initial = None, pages.new_initial(request)
    else:
        party = pages.get_for(request.user, name, write=True)
        initial = pages.form_class.initial_for(party)
    form = pages.form_class(request.POST or None, initial=initial)
    duplicates: list[dict[str, str]] = []
    posted = request.method == "POST" and form.is_valid()
    if posted and party is None and not request.POST.get("allow_duplicate"):
        duplicates = likely_duplicates(pages.doctype, form.new_values())
    if posted and not duplicates:
        try:
            if party is None:
                saved = pages.create(data=form.new_values(), by=request.user)
            else:
                saved = pages.update(
                    party,
                    data=form.changed_values(),
                    version=form.cleaned_data["version"],
                    by=request.user,
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{pages.doctype} {saved.name} was saved.")
            return redirect(f"{pages.url}_detail", name=saved.name)
    return render(
        request,
        "crm/party_form.html",
        {
            "form": form,
            "doc": party,
            "doctype": pages.doctype,
            "duplicates": duplicates,
            "detail_url": f"{pages.url}_detail",
            "list_url": f"{pages.url}_list",
        },
    )
