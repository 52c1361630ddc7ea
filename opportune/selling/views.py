"""Pages of quotations and sales orders. ``DocPages`` holds what differs per doctype so the
list, detail, form and action views (reused by buying) stay thin adapters over services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.core.errors import DomainError, ValidationError
from opportune.crm.access import get_opportunity_for
from opportune.crm.models import Competitor, CRMSettings, OpportunityLostReason
from opportune.crm.views.common import (
    apply_service_errors,
    as_http,
    paginated,
    read_filters,
    version_of,
)
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

ITEM_FIELDS = ("id", "item_code", "item_name", "description", "qty", "uom", "rate")
BLANK_ROWS = 3


@dataclass(frozen=True)
class DocPages:
    """What the generic document pages need to know about one doctype."""

    doctype: str
    url: str  # URL name prefix, e.g. "selling:quotation"
    template: str  # template prefix, e.g. "selling/quotation"
    visible: Callable[[Any], Any]
    get_for: Callable[..., Any]
    can_write: Callable[[Any], bool]
    form_class: type
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    actions: dict[str, Callable[..., Any]]
    filters: type
    orderings: tuple[str, ...]
    nullable: frozenset[str] = frozenset()
    search: Callable[..., Any] | None = None
    statuses: tuple[str, ...] = ()
    with_rates: bool = True
    related: tuple[str, ...] = ("currency",)
    extra_context: Callable[[Any, Any], dict] = field(default=lambda request, doc: {})
    initial: Callable[[Any], dict] | None = None


# --- items in forms ----------------------------------------------------------------------------
def rows_from_post(post, *, with_rates: bool = True) -> list[dict[str, Any]]:
    """``items-N-field`` inputs -> item dicts; rows without an item code are dropped."""
    try:
        total = min(int(post.get("items-TOTAL", "0")), 500)
    except ValueError:
        total = 0
    rows = []
    for n in range(total):
        row = {f: post.get(f"items-{n}-{f}", "").strip() for f in ITEM_FIELDS}
        if not row["item_code"]:
            continue
        row["id"] = int(row["id"]) if row["id"].isdigit() else None
        if not with_rates:
            row.pop("rate")
        rows.append({k: v for k, v in row.items() if v not in ("", None)})
    return rows


def rows_for_form(document, posted: list[dict] | None, *, with_rates: bool = True) -> list:
    if posted is not None:
        rows = [dict(r) for r in posted]
    elif document is not None:
        rows = [
            {
                "id": r.pk,
                "item_code": r.item_code_id,
                "item_name": r.item_name,
                "description": r.description,
                "qty": r.qty.normalize(),
                "uom": r.uom_id,
                **({"rate": r.rate.normalize()} if with_rates else {}),
            }
            for r in document.items.all()
        ]
    else:
        rows = []
    return rows + [{} for _ in range(BLANK_ROWS)]


def item_errors(exc: ValidationError) -> list[str]:
    return [
        f"{f.replace('items[', 'Row ').replace('].', ' ')}: {m[0]}"
        for f, m in exc.fields.items()
        if f.startswith("items")
    ]


# --- generic views -----------------------------------------------------------------------------
def document_list(request: HttpRequest, pages: DocPages) -> HttpResponse:
    filters, errors = read_filters(pages.filters, request.GET)
    rows = filters.filter(pages.visible(request.user)).select_related(*pages.related)
    q = request.GET.get("q", "").strip()[:200]
    if q and pages.search:
        rows = pages.search(rows, q)
    page = paginated(rows, request.GET, errors, orderings=pages.orderings, nullable=pages.nullable)
    return render(
        request,
        f"{pages.template}_list.html",
        {
            "page": page,
            "errors": errors,
            "q": q,
            "pages": pages,
            "statuses": pages.statuses,
            "selected_status": request.GET.get("status", ""),
            "can_write": pages.can_write(request.user),
        },
    )


def document_detail(request: HttpRequest, pages: DocPages, name: str) -> HttpResponse:
    document = pages.get_for(request.user, name)
    settings = CRMSettings.load()
    context = {
        "doc": document,
        "pages": pages,
        "can_write": pages.can_write(request.user),
        "company_currency": settings.company_currency_id,
        "company_precision": settings.company_currency.precision,
        **pages.extra_context(request, document),
    }
    return render(request, f"{pages.template}_detail.html", context)


def document_form(
    request: HttpRequest, pages: DocPages, name: str | None = None, initial: dict | None = None
) -> HttpResponse:
    document = pages.get_for(request.user, name, write=True) if name else None
    if document is None and not pages.can_write(request.user):
        raise PermissionDenied(f"You may not create a {pages.doctype}.")
    if document is not None and not document.is_draft:
        messages.error(
            request, f"{pages.doctype} {name} is {document.status}: only a draft can be changed."
        )
        return redirect(f"{pages.url}_detail", name)
    posted_rows = None
    item_problems: list[str] = []
    if request.method == "POST":
        form = pages.form_class(request.POST)
        posted_rows = rows_from_post(request.POST, with_rates=pages.with_rates)
        if form.is_valid():
            data = {**form.service_data(document), "items": posted_rows}
            try:
                if document is None:
                    document = pages.create(data=data, by=request.user)
                else:
                    pages.update(document, data=data, version=version_of(request), by=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc, extra=["items"])
                item_problems = item_errors(exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{pages.doctype} {document.name} saved.")
                return redirect(f"{pages.url}_detail", document.name)
    else:
        initial = initial or (
            pages.initial(document)
            if pages.initial and document
            else form_initial(document, pages.form_class)
        )
        form = pages.form_class(initial=initial)
    return render(
        request,
        f"{pages.template}_form.html",
        {
            "form": form,
            "doc": document,
            "pages": pages,
            "rows": rows_for_form(document, posted_rows, with_rates=pages.with_rates),
            "item_problems": item_problems,
            "with_rates": pages.with_rates,
        },
    )


def form_initial(document, form_class) -> dict:
    if document is None:
        return {
            "currency": CRMSettings.load().company_currency_id,
            "transaction_date": timezone.localdate(),
        }
    initial = {}
    for name in form_class.base_fields:
        value = (
            getattr(document, f"{name}_id", None)
            if hasattr(document, f"{name}_id")
            else getattr(document, name, None)
        )
        if hasattr(value, "normalize"):
            value = value.normalize()
        initial[name] = value
    return initial


def document_action(request: HttpRequest, pages: DocPages, name: str, action: str) -> HttpResponse:
    if action not in pages.actions:
        raise Http404(f"No action {action}.")
    document = pages.get_for(request.user, name, write=True)
    try:
        pages.actions[action](document, version=version_of(request), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        past = {"submit": "submitted", "cancel": "cancelled"}.get(action, action)
        messages.success(request, f"{pages.doctype} {name} {past}.")
    return redirect(f"{pages.url}_detail", name)


def document_delete(request: HttpRequest, pages: DocPages, name: str) -> HttpResponse:
    document = pages.get_for(request.user, name, write=True)
    try:
        pages.delete(document, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{pages.url}_detail", name)
    messages.success(request, f"{pages.doctype} {name} deleted.")
    return redirect(f"{pages.url}_list")


# --- quotations and sales orders ---------------------------------------------------------------
def _quotation_context(request, quotation) -> dict:
    return {
        "orders": access.sales_orders_visible_to(request.user).filter(quotation=quotation),
        "lost_form": DeclareLostForm(
            reasons=OpportunityLostReason.objects.values_list("pk", flat=True),
            competitors=Competitor.objects.values_list("pk", flat=True),
        ),
    }


QUOTATION_PAGES = DocPages(
    doctype="Quotation",
    url="selling:quotation",
    template="selling/quotation",
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
)
SALES_ORDER_PAGES = DocPages(
    doctype="Sales Order",
    url="selling:sales_order",
    template="selling/sales_order",
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
)


@login_required
def quotation_list(request):
    return document_list(request, QUOTATION_PAGES)


@login_required
@as_http
def quotation_detail(request, name):
    return document_detail(request, QUOTATION_PAGES, name)


@login_required
@as_http
def quotation_create(request):
    return document_form(request, QUOTATION_PAGES)


@login_required
@as_http
def quotation_edit(request, name):
    return document_form(request, QUOTATION_PAGES, name)


@login_required
@require_POST
@as_http
def quotation_action(request, name, action):
    return document_action(request, QUOTATION_PAGES, name, action)


@login_required
@require_POST
@as_http
def quotation_delete(request, name):
    return document_delete(request, QUOTATION_PAGES, name)


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


@login_required
def sales_order_list(request):
    return document_list(request, SALES_ORDER_PAGES)


@login_required
@as_http
def sales_order_detail(request, name):
    return document_detail(request, SALES_ORDER_PAGES, name)


@login_required
@as_http
def sales_order_create(request):
    return document_form(request, SALES_ORDER_PAGES)


@login_required
@as_http
def sales_order_edit(request, name):
    return document_form(request, SALES_ORDER_PAGES, name)


@login_required
@require_POST
@as_http
def sales_order_action(request, name, action):
    return document_action(request, SALES_ORDER_PAGES, name, action)


@login_required
@require_POST
@as_http
def sales_order_delete(request, name):
    return document_delete(request, SALES_ORDER_PAGES, name)
