"""JSON API of suppliers, supplier quotations and requests for quotation (thin adapters)."""

from __future__ import annotations

from ninja import Router, Status

from opportune.accounts.auth import API_AUTH
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
from opportune.buying.models import SupplierGroup
from opportune.buying.schemas import (
    ComparisonOut,
    RfqCreate,
    RfqOut,
    RfqPatch,
    SupplierCreate,
    SupplierGroupIn,
    SupplierGroupOut,
    SupplierIn,
    SupplierOut,
    SupplierPatch,
    SupplierQuotationCreate,
    SupplierQuotationOut,
    SupplierQuotationPatch,
    SuppliersIn,
)
from opportune.core.api import ApiRequest
from opportune.core.api_documents import DocumentApi, add_document_routes, payload_data
from opportune.core.company import company_settings
from opportune.core.errors import NotFoundError
from opportune.core.schemas import ERRORS
from opportune.crm.access import check_opportunity_link, get_opportunity_for
from opportune.masters.services import name_or_key

router = Router()


# --- suppliers ---------------------------------------------------------------------------------
SUPPLIERS = DocumentApi(
    auth=API_AUTH,
    path="suppliers",
    tag="suppliers",
    one="supplier",
    many="suppliers",
    module=__name__,
    out=SupplierOut,
    create_in=SupplierCreate,
    patch_in=SupplierPatch,
    filters=SupplierFilters,
    orderings=SUPPLIER_ORDERINGS,
    search=search_suppliers,
    visible=access.suppliers_visible_to,
    lookup=access.get_supplier_for,
    can_create=access.can_write_buying,
    create=services.create_supplier,
    update=services.update_supplier,
    delete=services.delete_supplier,
)
add_document_routes(router, SUPPLIERS)


@router.get(
    "/supplier-groups", response={200: list[SupplierGroupOut], **ERRORS}, tags=["suppliers"]
)
def list_supplier_groups(request: ApiRequest):
    if not access.can_read_buying(request.auth):
        return []
    return SupplierGroup.objects.all()


@router.post("/supplier-groups", response={201: SupplierGroupOut, **ERRORS}, tags=["suppliers"])
def create_supplier_group(request: ApiRequest, payload: SupplierGroupIn):
    access.require_buying_writer(request.auth, "create supplier groups")
    _field, name = name_or_key(payload_data(payload), key="supplier_group_name")
    return Status(201, services.create_supplier_group(name=name, by=request.auth))


@router.delete("/supplier-groups/{name}", response={204: None, **ERRORS}, tags=["suppliers"])
def delete_supplier_group(request: ApiRequest, name: str):
    access.require_buying_writer(request.auth, "delete supplier groups")
    group = SupplierGroup.objects.filter(pk=name).first()
    if group is None:
        raise NotFoundError(f"Supplier Group {name} not found.")
    services.delete_supplier_group(group, by=request.auth)
    return Status(204, None)


# --- supplier quotations -----------------------------------------------------------------------
SUPPLIER_QUOTATIONS = DocumentApi(
    auth=API_AUTH,
    path="supplier-quotations",
    tag="supplier quotations",
    one="supplier_quotation",
    many="supplier_quotations",
    module=__name__,
    out=SupplierQuotationOut,
    create_in=SupplierQuotationCreate,
    patch_in=SupplierQuotationPatch,
    filters=SupplierQuotationFilters,
    orderings=SUPPLIER_QUOTATION_ORDERINGS,
    nullable=SUPPLIER_QUOTATION_NULLABLE,
    search=search_supplier_quotations,
    visible=access.supplier_quotations_visible_to,
    related=("currency",),
    prefetch=("items",),
    lookup=access.get_supplier_quotation_for,
    can_create=access.can_write_buying,
    check_links=check_opportunity_link,
    create=services.create_supplier_quotation,
    update=services.update_supplier_quotation,
    delete=services.delete_supplier_quotation,
    actions={
        "submit": services.submit_supplier_quotation,
        "cancel": services.cancel_supplier_quotation,
    },
    timeline="Supplier Quotation",
)
add_document_routes(router, SUPPLIER_QUOTATIONS)


# --- requests for quotation --------------------------------------------------------------------
REQUESTS_FOR_QUOTATION = DocumentApi(
    auth=API_AUTH,
    path="requests-for-quotation",
    tag="requests for quotation",
    one="request_for_quotation",
    many="requests_for_quotation",
    module=__name__,
    out=RfqOut,
    create_in=RfqCreate,
    patch_in=RfqPatch,
    filters=RfqFilters,
    orderings=RFQ_ORDERINGS,
    search=search_rfqs,
    distinct=True,  # the supplier filter joins the RFQ's suppliers
    visible=access.requests_for_quotation_visible_to,
    prefetch=("items", "suppliers"),
    lookup=access.get_request_for_quotation_for,
    can_create=access.can_write_buying,
    check_links=check_opportunity_link,
    create=services.create_request_for_quotation,
    update=services.update_request_for_quotation,
    delete=services.delete_request_for_quotation,
    actions={
        "submit": services.submit_request_for_quotation,
        "cancel": services.cancel_request_for_quotation,
    },
    timeline="Request for Quotation",
)
add_document_routes(router, REQUESTS_FOR_QUOTATION)


@router.post(
    "/requests-for-quotation/{name}/make-supplier-quotation",
    response={201: SupplierQuotationOut, **ERRORS},
    tags=["requests for quotation"],
)
def make_supplier_quotation_from_rfq(request: ApiRequest, name: str, payload: SupplierIn):
    rfq = access.get_request_for_quotation_for(request.auth, name, write=True)
    quotation = services.make_supplier_quotation_from_rfq(
        rfq, supplier=payload.supplier, by=request.auth
    )
    return Status(201, SUPPLIER_QUOTATIONS.out_for(request.auth, quotation.pk))


# --- from the opportunity ----------------------------------------------------------------------
@router.post(
    "/opportunities/{name}/make-supplier-quotation",
    response={201: SupplierQuotationOut, **ERRORS},
    tags=["opportunities"],
)
def make_supplier_quotation(request: ApiRequest, name: str, payload: SupplierIn):
    opportunity = get_opportunity_for(request.auth, name)
    access.require_buying_writer(request.auth, "make supplier quotations")
    quotation = services.make_supplier_quotation_from_opportunity(
        opportunity, supplier=payload.supplier, by=request.auth
    )
    return Status(201, SUPPLIER_QUOTATIONS.out_for(request.auth, quotation.pk))


@router.post(
    "/opportunities/{name}/make-request-for-quotation",
    response={201: RfqOut, **ERRORS},
    tags=["opportunities"],
)
def make_request_for_quotation(request: ApiRequest, name: str, payload: SuppliersIn):
    opportunity = get_opportunity_for(request.auth, name)
    access.require_buying_writer(request.auth, "make requests for quotation")
    rfq = services.make_request_for_quotation_from_opportunity(
        opportunity, suppliers=payload.suppliers, by=request.auth
    )
    return Status(201, REQUESTS_FOR_QUOTATION.out_for(request.auth, rfq.pk))


@router.get(
    "/opportunities/{name}/supplier-quotation-comparison",
    response={200: ComparisonOut, **ERRORS},
    tags=["opportunities"],
)
def supplier_quotation_comparison(request: ApiRequest, name: str):
    opportunity = get_opportunity_for(request.auth, name)
    access.require_buying_reader(request.auth, "compare supplier quotations")
    return {
        "opportunity": opportunity.name,
        "company_currency": company_settings().company_currency_id,
        "items": services.supplier_quotation_comparison(opportunity),
    }
