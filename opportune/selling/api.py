"""JSON API of quotations and sales orders (thin: look up with access, call a service)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Query, Router, Status

from opportune.core.api import ApiRequest, ListParams, Page, paginate, version_from
from opportune.core.schemas import ERRORS, TimelineEntryOut, VersionIn
from opportune.core.timeline import timeline_for
from opportune.crm.access import get_opportunity_for
from opportune.crm.schemas import DeclareLostIn
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
from opportune.selling.pdf import quotation_pdf, quotation_pdf_filename
from opportune.selling.schemas import (
    QuotationCreate,
    QuotationOut,
    QuotationPatch,
    SalesOrderCreate,
    SalesOrderOut,
    SalesOrderPatch,
)

router = Router()


def _body(payload) -> dict:
    return payload.model_dump(exclude_unset=True, exclude={"version"})


def _version(request, payload) -> int | None:
    return version_from(request, payload.version if payload else None)


# --- quotations --------------------------------------------------------------------------------
def _quotations(user):
    return (
        access.quotations_visible_to(user)
        .select_related("currency", "owner", "modified_by")
        .prefetch_related("items", "lost_reasons", "competitors")
    )


def _quotation_out(user, name: str):
    return _quotations(user).get(pk=name)


def _check_opportunity_link(user, payload) -> None:
    if getattr(payload, "opportunity", None):
        get_opportunity_for(user, payload.opportunity)


@router.get("/quotations", response={200: Page[QuotationOut], **ERRORS}, tags=["quotations"])
def list_quotations(
    request: ApiRequest, params: Query[ListParams], filters: Query[QuotationFilters]
):
    return paginate(
        filters.filter(_quotations(request.auth)),
        params,
        orderings=QUOTATION_ORDERINGS,
        nullable=QUOTATION_NULLABLE,
        search=search_quotations,
    )


@router.post("/quotations", response={201: QuotationOut, **ERRORS}, tags=["quotations"])
def create_quotation(request: ApiRequest, payload: QuotationCreate):
    access.require_selling_writer(request.auth, "create quotations")
    _check_opportunity_link(request.auth, payload)
    quotation = services.create_quotation(data=_body(payload), by=request.auth)
    return Status(201, _quotation_out(request.auth, quotation.pk))


@router.get("/quotations/{name}", response={200: QuotationOut, **ERRORS}, tags=["quotations"])
def get_quotation(request: ApiRequest, name: str):
    access.get_quotation_for(request.auth, name)
    return _quotation_out(request.auth, name)


@router.patch("/quotations/{name}", response={200: QuotationOut, **ERRORS}, tags=["quotations"])
def update_quotation(request: ApiRequest, name: str, payload: QuotationPatch):
    quotation = access.get_quotation_for(request.auth, name, write=True)
    _check_opportunity_link(request.auth, payload)
    services.update_quotation(
        quotation, data=_body(payload), version=_version(request, payload), by=request.auth
    )
    return _quotation_out(request.auth, name)


@router.delete("/quotations/{name}", response={204: None, **ERRORS}, tags=["quotations"])
def delete_quotation(request: ApiRequest, name: str, version: int | None = None):
    quotation = access.get_quotation_for(request.auth, name, write=True)
    services.delete_quotation(quotation, version=version_from(request, version), by=request.auth)
    return Status(204, None)


@router.post(
    "/quotations/{name}/submit", response={200: QuotationOut, **ERRORS}, tags=["quotations"]
)
def submit_quotation(request: ApiRequest, name: str, payload: VersionIn | None = None):
    quotation = access.get_quotation_for(request.auth, name, write=True)
    services.submit_quotation(quotation, version=_version(request, payload), by=request.auth)
    return _quotation_out(request.auth, name)


@router.post(
    "/quotations/{name}/cancel", response={200: QuotationOut, **ERRORS}, tags=["quotations"]
)
def cancel_quotation(request: ApiRequest, name: str, payload: VersionIn | None = None):
    quotation = access.get_quotation_for(request.auth, name, write=True)
    services.cancel_quotation(quotation, version=_version(request, payload), by=request.auth)
    return _quotation_out(request.auth, name)


@router.post(
    "/quotations/{name}/declare-lost", response={200: QuotationOut, **ERRORS}, tags=["quotations"]
)
def declare_quotation_lost(request: ApiRequest, name: str, payload: DeclareLostIn):
    quotation = access.get_quotation_for(request.auth, name, write=True)
    services.declare_quotation_lost(
        quotation,
        lost_reasons=payload.lost_reasons,
        competitors=payload.competitors,
        detail=payload.order_lost_reason,
        version=_version(request, payload),
        by=request.auth,
    )
    return _quotation_out(request.auth, name)


@router.post(
    "/quotations/{name}/make-sales-order",
    response={201: SalesOrderOut, **ERRORS},
    tags=["quotations"],
)
def make_sales_order(request: ApiRequest, name: str):
    quotation = access.get_quotation_for(request.auth, name, write=True)
    order = services.make_sales_order_from_quotation(quotation, by=request.auth)
    return Status(201, _sales_order_out(request.auth, order.pk))


@router.get(
    "/quotations/{name}/pdf",
    response={200: None, **ERRORS},
    tags=["quotations"],
    openapi_extra={
        "responses": {
            200: {"description": "The printable quotation", "content": {"application/pdf": {}}}
        }
    },
)
def quotation_pdf_download(request: ApiRequest, name: str):
    quotation = access.get_quotation_for(request.auth, name)
    response = HttpResponse(quotation_pdf(quotation), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quotation_pdf_filename(quotation)}"'
    return response


@router.post(
    "/opportunities/{name}/make-quotation",
    response={201: QuotationOut, **ERRORS},
    tags=["opportunities"],
)
def make_quotation(request: ApiRequest, name: str):
    opportunity = get_opportunity_for(request.auth, name)
    access.require_selling_writer(request.auth, "make quotations")
    quotation = services.make_quotation_from_opportunity(opportunity, by=request.auth)
    return Status(201, _quotation_out(request.auth, quotation.pk))


# --- sales orders ------------------------------------------------------------------------------
def _sales_orders(user):
    return (
        access.sales_orders_visible_to(user)
        .select_related("currency", "owner", "modified_by")
        .prefetch_related("items")
    )


def _sales_order_out(user, name: str):
    return _sales_orders(user).get(pk=name)


@router.get("/sales-orders", response={200: Page[SalesOrderOut], **ERRORS}, tags=["sales orders"])
def list_sales_orders(
    request: ApiRequest, params: Query[ListParams], filters: Query[SalesOrderFilters]
):
    return paginate(
        filters.filter(_sales_orders(request.auth)),
        params,
        orderings=SALES_ORDER_ORDERINGS,
        nullable=SALES_ORDER_NULLABLE,
        search=search_sales_orders,
    )


@router.post("/sales-orders", response={201: SalesOrderOut, **ERRORS}, tags=["sales orders"])
def create_sales_order(request: ApiRequest, payload: SalesOrderCreate):
    access.require_selling_writer(request.auth, "create sales orders")
    order = services.create_sales_order(data=_body(payload), by=request.auth)
    return Status(201, _sales_order_out(request.auth, order.pk))


@router.get("/sales-orders/{name}", response={200: SalesOrderOut, **ERRORS}, tags=["sales orders"])
def get_sales_order(request: ApiRequest, name: str):
    access.get_sales_order_for(request.auth, name)
    return _sales_order_out(request.auth, name)


@router.patch(
    "/sales-orders/{name}", response={200: SalesOrderOut, **ERRORS}, tags=["sales orders"]
)
def update_sales_order(request: ApiRequest, name: str, payload: SalesOrderPatch):
    order = access.get_sales_order_for(request.auth, name, write=True)
    services.update_sales_order(
        order, data=_body(payload), version=_version(request, payload), by=request.auth
    )
    return _sales_order_out(request.auth, name)


@router.delete("/sales-orders/{name}", response={204: None, **ERRORS}, tags=["sales orders"])
def delete_sales_order(request: ApiRequest, name: str, version: int | None = None):
    order = access.get_sales_order_for(request.auth, name, write=True)
    services.delete_sales_order(order, version=version_from(request, version), by=request.auth)
    return Status(204, None)


@router.post(
    "/sales-orders/{name}/submit", response={200: SalesOrderOut, **ERRORS}, tags=["sales orders"]
)
def submit_sales_order(request: ApiRequest, name: str, payload: VersionIn | None = None):
    order = access.get_sales_order_for(request.auth, name, write=True)
    services.submit_sales_order(order, version=_version(request, payload), by=request.auth)
    return _sales_order_out(request.auth, name)


@router.post(
    "/sales-orders/{name}/cancel", response={200: SalesOrderOut, **ERRORS}, tags=["sales orders"]
)
def cancel_sales_order(request: ApiRequest, name: str, payload: VersionIn | None = None):
    order = access.get_sales_order_for(request.auth, name, write=True)
    services.cancel_sales_order(order, version=_version(request, payload), by=request.auth)
    return _sales_order_out(request.auth, name)


# --- timelines ---------------------------------------------------------------------------------
@router.get(
    "/quotations/{name}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    tags=["quotations"],
)
def quotation_timeline(request: ApiRequest, name: str):
    """Everything that happened to the quotation, newest first (changes, comments)."""
    access.get_quotation_for(request.auth, name)
    return timeline_for("Quotation", name)


@router.get(
    "/sales-orders/{name}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    tags=["sales orders"],
)
def sales_order_timeline(request: ApiRequest, name: str):
    access.get_sales_order_for(request.auth, name)
    return timeline_for("Sales Order", name)
