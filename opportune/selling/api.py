"""JSON API of quotations and sales orders (thin: look up with access, call a service)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Status

from opportune.accounts.auth import API_AUTH
from opportune.core.api import ApiRequest
from opportune.core.api_documents import DocumentApi, add_document_routes
from opportune.core.schemas import ERRORS
from opportune.crm.access import get_opportunity_for
from opportune.crm.api import add_declare_lost_route
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


# --- quotations --------------------------------------------------------------------------------
QUOTATIONS = DocumentApi(
    auth=API_AUTH,
    path="quotations",
    tag="quotations",
    one="quotation",
    many="quotations",
    module=__name__,
    out=QuotationOut,
    create_in=QuotationCreate,
    patch_in=QuotationPatch,
    filters=QuotationFilters,
    orderings=QUOTATION_ORDERINGS,
    nullable=QUOTATION_NULLABLE,
    search=search_quotations,
    visible=access.quotations_visible_to,
    related=("currency",),
    prefetch=("items", "lost_reasons", "competitors"),
    lookup=access.get_quotation_for,
    can_create=access.can_write_selling,
    check_links=access.check_quotation_links,
    create=services.create_quotation,
    update=services.update_quotation,
    delete=services.delete_quotation,
    actions={"submit": services.submit_quotation, "cancel": services.cancel_quotation},
    timeline="Quotation",
)
add_document_routes(router, QUOTATIONS)
add_declare_lost_route(
    router, QUOTATIONS, services.declare_quotation_lost, operation="declare_quotation_lost"
)


@router.post(
    "/quotations/{name}/make-sales-order",
    response={201: SalesOrderOut, **ERRORS},
    tags=["quotations"],
)
def make_sales_order(request: ApiRequest, name: str):
    quotation = access.get_quotation_for(request.auth, name, write=True)
    order = services.make_sales_order_from_quotation(quotation, by=request.auth)
    return Status(201, SALES_ORDERS.out_for(request.auth, order.pk))


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
    return Status(201, QUOTATIONS.out_for(request.auth, quotation.pk))


# --- sales orders ------------------------------------------------------------------------------
SALES_ORDERS = DocumentApi(
    auth=API_AUTH,
    path="sales-orders",
    tag="sales orders",
    one="sales_order",
    many="sales_orders",
    module=__name__,
    out=SalesOrderOut,
    create_in=SalesOrderCreate,
    patch_in=SalesOrderPatch,
    filters=SalesOrderFilters,
    orderings=SALES_ORDER_ORDERINGS,
    nullable=SALES_ORDER_NULLABLE,
    search=search_sales_orders,
    visible=access.sales_orders_visible_to,
    related=("currency",),
    prefetch=("items",),
    lookup=access.get_sales_order_for,
    can_create=access.can_write_selling,
    create=services.create_sales_order,
    update=services.update_sales_order,
    delete=services.delete_sales_order,
    actions={"submit": services.submit_sales_order, "cancel": services.cancel_sales_order},
    timeline="Sales Order",
)
add_document_routes(router, SALES_ORDERS)
