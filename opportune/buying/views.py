"""Pages of suppliers, supplier quotations, requests for quotation and the comparison (thin
adapters over the services; the document pages are core's generic ones, ``core.pages.DocPages``,
whose URL patterns buying/urls.py lists)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opportune.buying import access, services
from opportune.buying.filters import (
    RFQ_ORDERINGS,
    SUPPLIER_ORDERINGS,
    SUPPLIER_QUOTATION_NULLABLE,
    SUPPLIER_QUOTATION_ORDERINGS,
    RfqFilters,
    SupplierFilters,
    SupplierQuotationFilters,
    search_rfqs,
    search_supplier_quotations,
    search_suppliers,
)
from opportune.buying.forms import (
    ChooseSupplierForm,
    ChooseSuppliersForm,
    RequestForQuotationForm,
    SupplierForm,
    SupplierQuotationForm,
)
from opportune.buying.models import RequestForQuotation, SupplierGroup, SupplierQuotation
from opportune.core.company import company_settings
from opportune.core.errors import DomainError, ValidationError
from opportune.core.pages import (
    DocPages,
    ListExport,
    apply_service_errors,
    as_http,
    list_context,
    list_export,
    transaction_export,
    version_of,
)
from opportune.core.saved_views_pages import default_view_redirect
from opportune.crm.access import get_opportunity_for


def _rfq_context(request, rfq) -> dict:
    quoted = dict(
        rfq.supplier_quotations.filter(docstatus__lt=2).values_list("supplier_id", "name")
    )
    return {"suppliers": [(s, quoted.get(s.supplier_id)) for s in rfq.suppliers.all()]}


SUPPLIER_QUOTATION_EXPORT = transaction_export(
    "supplier-quotations",
    "Supplier Quotations",
    party=(("Supplier", "supplier_id"), ("Supplier Name", "supplier_name")),
    dates=(("Valid Till", "valid_till"),),
    links=(
        ("Opportunity", "opportunity_id"),
        ("Request for Quotation", "request_for_quotation_id"),
    ),
)
RFQ_EXPORT = ListExport(
    columns=(
        ("ID", "name"),
        ("Status", "status"),
        ("Date", "transaction_date"),
        ("Opportunity", "opportunity_id"),
        ("Modified", "modified"),
    ),
    filename="requests-for-quotation",
    title="Requests for Quotation",
)
SUPPLIER_EXPORT = ListExport(
    columns=(
        ("ID", "name"),
        ("Supplier Name", "supplier_name"),
        ("Supplier Group", "supplier_group_id"),
        ("Country", "country"),
        ("Email", "email_id"),
        ("Phone", "phone"),
        ("Website", "website"),
        ("Disabled", "disabled"),
        ("Modified", "modified"),
    ),
    filename="suppliers",
    title="Suppliers",
)
SUPPLIER_QUOTATION_PAGES = DocPages(
    doctype="Supplier Quotation",
    url="buying:supplier_quotation",
    visible=access.supplier_quotations_visible_to,
    get_for=access.get_supplier_quotation_for,
    can_write=access.can_write_buying,
    form_class=SupplierQuotationForm,
    create=services.create_supplier_quotation,
    update=services.update_supplier_quotation,
    delete=services.delete_supplier_quotation,
    actions={
        "submit": services.submit_supplier_quotation,
        "cancel": services.cancel_supplier_quotation,
    },
    filters=SupplierQuotationFilters,
    orderings=SUPPLIER_QUOTATION_ORDERINGS,
    nullable=SUPPLIER_QUOTATION_NULLABLE,
    search=search_supplier_quotations,
    statuses=tuple(SupplierQuotation.Status.values),
    export=SUPPLIER_QUOTATION_EXPORT,
    saved_views="supplier-quotations",
)
RFQ_PAGES = DocPages(
    doctype="Request for Quotation",
    url="buying:rfq",
    visible=access.requests_for_quotation_visible_to,
    get_for=access.get_request_for_quotation_for,
    can_write=access.can_write_buying,
    form_class=RequestForQuotationForm,
    create=services.create_request_for_quotation,
    update=services.update_request_for_quotation,
    delete=services.delete_request_for_quotation,
    actions={
        "submit": services.submit_request_for_quotation,
        "cancel": services.cancel_request_for_quotation,
    },
    filters=RfqFilters,
    orderings=RFQ_ORDERINGS,
    search=search_rfqs,
    statuses=tuple(RequestForQuotation.Status.values),
    with_rates=False,
    related=(),
    export=RFQ_EXPORT,
    saved_views="requests-for-quotation",
    extra_context=_rfq_context,
    initial=lambda rfq: {
        "transaction_date": rfq.transaction_date,
        "message_for_supplier": rfq.message_for_supplier,
        "suppliers": [s.supplier_id for s in rfq.suppliers.all()],
    },
)


# --- supplier quotations and RFQs --------------------------------------------------------------
@login_required
@require_POST
@as_http
def rfq_make_supplier_quotation(request, name):
    rfq = access.get_request_for_quotation_for(request.user, name, write=True)
    try:
        quotation = services.make_supplier_quotation_from_rfq(
            rfq, supplier=request.POST.get("supplier", ""), by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("buying:rfq_detail", name)
    messages.success(request, f"Supplier Quotation {quotation.name} drafted: enter the rates.")
    return redirect("buying:supplier_quotation_edit", quotation.name)


# --- from the opportunity ----------------------------------------------------------------------
def _make_from_opportunity(request, name, form_class, make, template):
    opportunity = get_opportunity_for(request.user, name)
    access.require_buying_writer(request.user, "ask suppliers for prices")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document, target = make(opportunity, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{document.doctype} {document.name} drafted.")
            return redirect(target, document.name)
    return render(request, template, {"form": form, "opportunity": opportunity})


@login_required
@as_http
def opportunity_make_supplier_quotation(request, name):
    def make(opportunity, data):
        quotation = services.make_supplier_quotation_from_opportunity(
            opportunity, supplier=data["supplier"], by=request.user
        )
        return quotation, "buying:supplier_quotation_edit"

    return _make_from_opportunity(
        request, name, ChooseSupplierForm, make, "buying/make_supplier_quotation.html"
    )


@login_required
@as_http
def opportunity_make_request_for_quotation(request, name):
    def make(opportunity, data):
        rfq = services.make_request_for_quotation_from_opportunity(
            opportunity, suppliers=data["suppliers"], by=request.user
        )
        return rfq, "buying:rfq_detail"

    return _make_from_opportunity(
        request, name, ChooseSuppliersForm, make, "buying/make_request_for_quotation.html"
    )


@login_required
@as_http
def opportunity_comparison(request, name):
    opportunity = get_opportunity_for(request.user, name)
    access.require_buying_reader(request.user, "compare supplier quotations")
    settings = company_settings()
    return render(
        request,
        "buying/comparison.html",
        {
            "opportunity": opportunity,
            "items": services.supplier_quotation_comparison(opportunity),
            "company_currency": settings.company_currency_id,
            "company_precision": settings.company_currency.precision,
        },
    )


# --- suppliers ---------------------------------------------------------------------------------
@login_required
def supplier_list(request: HttpRequest) -> HttpResponseBase:
    if opened := default_view_redirect(request, "suppliers"):
        return opened
    rows = access.suppliers_visible_to(request.user)
    file = list_export(
        request,
        SupplierFilters,
        rows,
        SUPPLIER_EXPORT,
        search=search_suppliers,
        orderings=SUPPLIER_ORDERINGS,
    )
    if file is not None:
        return file
    context = list_context(
        request, SupplierFilters, rows, search=search_suppliers, orderings=SUPPLIER_ORDERINGS
    )
    context["can_write"] = access.can_write_buying(request.user)
    context["saved_views_resource"] = "suppliers"
    return render(request, "buying/supplier_list.html", context)


@login_required
@as_http
def supplier_detail(request, name):
    supplier = access.get_supplier_for(request.user, name)
    return render(
        request,
        "buying/supplier_detail.html",
        {
            "supplier": supplier,
            "quotations": access.supplier_quotations_visible_to(request.user)
            .filter(supplier=supplier)
            .select_related("currency")[:50],
            "can_write": access.can_write_buying(request.user),
        },
    )


@login_required
@as_http
def supplier_form(request, name=None):
    supplier = access.get_supplier_for(request.user, name, write=True) if name else None
    if supplier is None and not access.can_write_buying(request.user):
        raise PermissionDenied("You may not create suppliers.")
    if request.method == "POST":
        form = SupplierForm(request.POST)
        if form.is_valid():
            try:
                if supplier is None:
                    supplier = services.create_supplier(data=form.service_data(), by=request.user)
                else:
                    services.update_supplier(
                        supplier,
                        data=form.service_data(),
                        version=version_of(request),
                        by=request.user,
                    )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Supplier {supplier.name} saved.")
                return redirect("buying:supplier_detail", supplier.name)
    else:
        initial = (
            {}
            if supplier is None
            else {
                f: getattr(supplier, f"{f}_id", None)
                if f in ("supplier_group", "default_currency")
                else getattr(supplier, f)
                for f in SupplierForm.base_fields
            }
        )
        form = SupplierForm(initial=initial)
    return render(request, "buying/supplier_form.html", {"form": form, "supplier": supplier})


@login_required
@as_http
def supplier_groups(request):
    if not access.can_read_buying(request.user):
        raise PermissionDenied("You may not see supplier groups.")
    if request.method == "POST":
        access.require_buying_writer(request.user, "create supplier groups")
        try:
            services.create_supplier_group(name=request.POST.get("name", ""), by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Supplier group added.")
        return redirect("buying:supplier_groups")
    return render(
        request,
        "buying/supplier_groups.html",
        {
            "groups": SupplierGroup.objects.all(),
            "can_write": access.can_write_buying(request.user),
        },
    )
