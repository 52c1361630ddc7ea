"""Pages of quotations and sales orders: thin adapters over the services, on core's generic
document pages (``core.pages.DocPages``, whose URL patterns selling/urls.py lists)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from opportune.core.errors import DomainError
from opportune.core.pages import DocPages, as_http, transaction_export, version_of
from opportune.crm.access import get_opportunity_for
from opportune.crm.models import Competitor, OpportunityLostReason
from opportune.selling import access, services
from opportune.selling.filters import (
    QUOTATION_NULLABLE,
    QUOTATION_ORDERINGS,
    SALES_ORDER_NULLABLE,
    SALES_ORDER_ORDERINGS,
    QuotationFilters,
    SalesOrderFilters,
    search_quotations,
    search_sales_orders,
)
from opportune.selling.forms import DeclareLostForm, QuotationForm, SalesOrderForm
from opportune.selling.models import Quotation, SalesOrder
from opportune.selling.pdf import quotation_pdf, quotation_pdf_filename


# --- quotations and sales orders ---------------------------------------------------------------
def _quotation_context(request, quotation) -> dict:
    return {
        "orders": access.sales_orders_visible_to(request.user).filter(quotation=quotation),
        "lost_form": DeclareLostForm(
            reasons=OpportunityLostReason.objects.values_list("pk", flat=True),
            competitors=Competitor.objects.values_list("pk", flat=True),
        ),
    }


QUOTATION_EXPORT = transaction_export(
    "quotations",
    "Quotations",
    party=(
        ("Title", "title"),
        ("Quotation To", "quotation_to"),
        ("Party", "party_name"),
        ("Customer Name", "customer_name"),
    ),
    dates=(("Valid Till", "valid_till"),),
    links=(("Opportunity", "opportunity_id"),),
)
SALES_ORDER_EXPORT = transaction_export(
    "sales-orders",
    "Sales Orders",
    party=(("Customer", "customer_id"), ("Customer Name", "customer_name")),
    dates=(("Delivery Date", "delivery_date"),),
    links=(("Quotation", "quotation_id"),),
)
QUOTATION_PAGES = DocPages(
    doctype="Quotation",
    url="selling:quotation",
    visible=access.quotations_visible_to,
    get_for=access.get_quotation_for,
    can_write=access.can_write_selling,
    form_class=QuotationForm,
    create=services.create_quotation,
    update=services.update_quotation,
    delete=services.delete_quotation,
    actions={"submit": services.submit_quotation, "cancel": services.cancel_quotation},
    filters=QuotationFilters,
    orderings=QUOTATION_ORDERINGS,
    nullable=QUOTATION_NULLABLE,
    search=search_quotations,
    statuses=tuple(Quotation.Status.values),
    extra_context=_quotation_context,
    check_links=access.check_quotation_links,
    export=QUOTATION_EXPORT,
    saved_views="quotations",
)
SALES_ORDER_PAGES = DocPages(
    doctype="Sales Order",
    url="selling:sales_order",
    visible=access.sales_orders_visible_to,
    get_for=access.get_sales_order_for,
    can_write=access.can_write_selling,
    form_class=SalesOrderForm,
    create=services.create_sales_order,
    update=services.update_sales_order,
    delete=services.delete_sales_order,
    actions={"submit": services.submit_sales_order, "cancel": services.cancel_sales_order},
    filters=SalesOrderFilters,
    orderings=SALES_ORDER_ORDERINGS,
    nullable=SALES_ORDER_NULLABLE,
    search=search_sales_orders,
    statuses=tuple(SalesOrder.Status.values),
    export=SALES_ORDER_EXPORT,
    saved_views="sales-orders",
)


@login_required
@require_POST
@as_http
def quotation_declare_lost(request, name):
    quotation = access.get_quotation_for(request.user, name, write=True)
    form = DeclareLostForm(
        request.POST,
        reasons=OpportunityLostReason.objects.values_list("pk", flat=True),
        competitors=Competitor.objects.values_list("pk", flat=True),
    )
    if not form.is_valid():
        messages.error(request, "Choose at least one lost reason.")
        return redirect("selling:quotation_detail", name)
    try:
        services.declare_quotation_lost(
            quotation,
            lost_reasons=form.cleaned_data["lost_reasons"],
            competitors=form.cleaned_data["competitors"],
            detail=form.cleaned_data["order_lost_reason"] or None,
            version=version_of(request),
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Quotation {name} declared lost.")
    return redirect("selling:quotation_detail", name)


@login_required
@require_POST
@as_http
def quotation_make_sales_order(request, name):
    quotation = access.get_quotation_for(request.user, name, write=True)
    try:
        order = services.make_sales_order_from_quotation(quotation, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("selling:quotation_detail", name)
    messages.success(request, f"Sales Order {order.name} drafted from {name}.")
    return redirect("selling:sales_order_detail", order.name)


@login_required
@as_http
def quotation_pdf_view(request, name):
    quotation = access.get_quotation_for(request.user, name)
    response = HttpResponse(quotation_pdf(quotation), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = (
        f'{disposition}; filename="{quotation_pdf_filename(quotation)}"'
    )
    return response


@login_required
@require_POST
@as_http
def opportunity_make_quotation(request, name):
    opportunity = get_opportunity_for(request.user, name)
    access.require_selling_writer(request.user, "make quotations")
    try:
        quotation = services.make_quotation_from_opportunity(opportunity, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("crm:opportunity_detail", args=[name]))
    messages.success(request, f"Quotation {quotation.name} drafted: check it and submit it.")
    return redirect("selling:quotation_edit", quotation.name)
