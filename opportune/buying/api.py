"""JSON API of suppliers, supplier quotations and requests for quotation (thin adapters)."""

from __future__ import annotations

from ninja import Query, Router, Status

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
from opportune.core.api import ApiRequest, ListParams, Page, paginate, version_from
from opportune.core.company import company_settings
from opportune.core.errors import NotFoundError
from opportune.core.schemas import ERRORS, TimelineEntryOut, VersionIn
from opportune.core.timeline import timeline_for
from opportune.crm.access import get_opportunity_for
from opportune.masters.services import name_or_key

router = Router()


def _body(payload) -> dict:
    return payload.model_dump(exclude_unset=True, exclude={"version"})


def _version(request, payload) -> int | None:
    return version_from(request, payload.version if payload else None)


def _check_opportunity_link(user, payload) -> None:
    if getattr(payload, "opportunity", None):
        get_opportunity_for(user, payload.opportunity)


# --- suppliers ---------------------------------------------------------------------------------
def _suppliers(user):
    return access.suppliers_visible_to(user).select_related("owner", "modified_by")


@router.get("/suppliers", response={200: Page[SupplierOut], **ERRORS}, tags=["suppliers"])
def list_suppliers(request: ApiRequest, params: Query[ListParams], filters: Query[SupplierFilters]):
    return paginate(
        filters.filter(_suppliers(request.auth)),
        params,
        orderings=SUPPLIER_ORDERINGS,
        search=search_suppliers,
    )


@router.post("/suppliers", response={201: SupplierOut, **ERRORS}, tags=["suppliers"])
def create_supplier(request: ApiRequest, payload: SupplierCreate):
    access.require_buying_writer(request.auth, "create suppliers")
    supplier = services.create_supplier(data=_body(payload), by=request.auth)
    return Status(201, _suppliers(request.auth).get(pk=supplier.pk))


@router.get("/suppliers/{name}", response={200: SupplierOut, **ERRORS}, tags=["suppliers"])
def get_supplier(request: ApiRequest, name: str):
    access.get_supplier_for(request.auth, name)
    return _suppliers(request.auth).get(pk=name)


@router.patch("/suppliers/{name}", response={200: SupplierOut, **ERRORS}, tags=["suppliers"])
def update_supplier(request: ApiRequest, name: str, payload: SupplierPatch):
    supplier = access.get_supplier_for(request.auth, name, write=True)
    services.update_supplier(
        supplier, data=_body(payload), version=_version(request, payload), by=request.auth
    )
    return _suppliers(request.auth).get(pk=name)


@router.delete("/suppliers/{name}", response={204: None, **ERRORS}, tags=["suppliers"])
def delete_supplier(request: ApiRequest, name: str):
    supplier = access.get_supplier_for(request.auth, name, write=True)
    services.delete_supplier(supplier, by=request.auth)
    return Status(204, None)


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
    _field, name = name_or_key(_body(payload), key="supplier_group_name")
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
def _sqs(user):
    return (
        access.supplier_quotations_visible_to(user)
        .select_related("currency", "owner", "modified_by")
        .prefetch_related("items")
    )


def _sq_out(user, name: str):
    return _sqs(user).get(pk=name)


@router.get(
    "/supplier-quotations",
    response={200: Page[SupplierQuotationOut], **ERRORS},
    tags=["supplier quotations"],
)
def list_supplier_quotations(
    request: ApiRequest, params: Query[ListParams], filters: Query[SupplierQuotationFilters]
):
    return paginate(
        filters.filter(_sqs(request.auth)),
        params,
        orderings=SUPPLIER_QUOTATION_ORDERINGS,
        nullable=SUPPLIER_QUOTATION_NULLABLE,
        search=search_supplier_quotations,
    )


@router.post(
    "/supplier-quotations",
    response={201: SupplierQuotationOut, **ERRORS},
    tags=["supplier quotations"],
)
def create_supplier_quotation(request: ApiRequest, payload: SupplierQuotationCreate):
    access.require_buying_writer(request.auth, "create supplier quotations")
    _check_opportunity_link(request.auth, payload)
    quotation = services.create_supplier_quotation(data=_body(payload), by=request.auth)
    return Status(201, _sq_out(request.auth, quotation.pk))


@router.get(
    "/supplier-quotations/{name}",
    response={200: SupplierQuotationOut, **ERRORS},
    tags=["supplier quotations"],
)
def get_supplier_quotation(request: ApiRequest, name: str):
    access.get_supplier_quotation_for(request.auth, name)
    return _sq_out(request.auth, name)


@router.patch(
    "/supplier-quotations/{name}",
    response={200: SupplierQuotationOut, **ERRORS},
    tags=["supplier quotations"],
)
def update_supplier_quotation(request: ApiRequest, name: str, payload: SupplierQuotationPatch):
    quotation = access.get_supplier_quotation_for(request.auth, name, write=True)
    _check_opportunity_link(request.auth, payload)
    services.update_supplier_quotation(
        quotation, data=_body(payload), version=_version(request, payload), by=request.auth
    )
    return _sq_out(request.auth, name)


@router.delete(
    "/supplier-quotations/{name}", response={204: None, **ERRORS}, tags=["supplier quotations"]
)
def delete_supplier_quotation(request: ApiRequest, name: str, version: int | None = None):
    quotation = access.get_supplier_quotation_for(request.auth, name, write=True)
    services.delete_supplier_quotation(
        quotation, version=version_from(request, version), by=request.auth
    )
    return Status(204, None)


@router.post(
    "/supplier-quotations/{name}/submit",
    response={200: SupplierQuotationOut, **ERRORS},
    tags=["supplier quotations"],
)
def submit_supplier_quotation(request: ApiRequest, name: str, payload: VersionIn | None = None):
    quotation = access.get_supplier_quotation_for(request.auth, name, write=True)
    services.submit_supplier_quotation(
        quotation, version=_version(request, payload), by=request.auth
    )
    return _sq_out(request.auth, name)


@router.post(
    "/supplier-quotations/{name}/cancel",
    response={200: SupplierQuotationOut, **ERRORS},
    tags=["supplier quotations"],
)
def cancel_supplier_quotation(request: ApiRequest, name: str, payload: VersionIn | None = None):
    quotation = access.get_supplier_quotation_for(request.auth, name, write=True)
    services.cancel_supplier_quotation(
        quotation, version=_version(request, payload), by=request.auth
    )
    return _sq_out(request.auth, name)


# --- requests for quotation --------------------------------------------------------------------
def _rfqs(user):
    return (
        access.requests_for_quotation_visible_to(user)
        .select_related("owner", "modified_by")
        .prefetch_related("items", "suppliers")
    )


def _rfq_out(user, name: str):
    return _rfqs(user).get(pk=name)


@router.get(
    "/requests-for-quotation",
    response={200: Page[RfqOut], **ERRORS},
    tags=["requests for quotation"],
)
def list_requests_for_quotation(
    request: ApiRequest, params: Query[ListParams], filters: Query[RfqFilters]
):
    return paginate(
        filters.filter(_rfqs(request.auth)).distinct(),
        params,
        orderings=RFQ_ORDERINGS,
        search=search_rfqs,
    )


@router.post(
    "/requests-for-quotation", response={201: RfqOut, **ERRORS}, tags=["requests for quotation"]
)
def create_request_for_quotation(request: ApiRequest, payload: RfqCreate):
    access.require_buying_writer(request.auth, "create requests for quotation")
    _check_opportunity_link(request.auth, payload)
    rfq = services.create_request_for_quotation(data=_body(payload), by=request.auth)
    return Status(201, _rfq_out(request.auth, rfq.pk))


@router.get(
    "/requests-for-quotation/{name}",
    response={200: RfqOut, **ERRORS},
    tags=["requests for quotation"],
)
def get_request_for_quotation(request: ApiRequest, name: str):
    access.get_request_for_quotation_for(request.auth, name)
    return _rfq_out(request.auth, name)


@router.patch(
    "/requests-for-quotation/{name}",
    response={200: RfqOut, **ERRORS},
    tags=["requests for quotation"],
)
def update_request_for_quotation(request: ApiRequest, name: str, payload: RfqPatch):
    rfq = access.get_request_for_quotation_for(request.auth, name, write=True)
    _check_opportunity_link(request.auth, payload)
    services.update_request_for_quotation(
        rfq, data=_body(payload), version=_version(request, payload), by=request.auth
    )
    return _rfq_out(request.auth, name)


@router.delete(
    "/requests-for-quotation/{name}",
    response={204: None, **ERRORS},
    tags=["requests for quotation"],
)
def delete_request_for_quotation(request: ApiRequest, name: str, version: int | None = None):
    rfq = access.get_request_for_quotation_for(request.auth, name, write=True)
    services.delete_request_for_quotation(
        rfq, version=version_from(request, version), by=request.auth
    )
    return Status(204, None)


@router.post(
    "/requests-for-quotation/{name}/submit",
    response={200: RfqOut, **ERRORS},
    tags=["requests for quotation"],
)
def submit_request_for_quotation(request: ApiRequest, name: str, payload: VersionIn | None = None):
    rfq = access.get_request_for_quotation_for(request.auth, name, write=True)
    services.submit_request_for_quotation(rfq, version=_version(request, payload), by=request.auth)
    return _rfq_out(request.auth, name)


@router.post(
    "/requests-for-quotation/{name}/cancel",
    response={200: RfqOut, **ERRORS},
    tags=["requests for quotation"],
)
def cancel_request_for_quotation(request: ApiRequest, name: str, payload: VersionIn | None = None):
    rfq = access.get_request_for_quotation_for(request.auth, name, write=True)
    services.cancel_request_for_quotation(rfq, version=_version(request, payload), by=request.auth)
    return _rfq_out(request.auth, name)


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
    return Status(201, _sq_out(request.auth, quotation.pk))


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
    return Status(201, _sq_out(request.auth, quotation.pk))


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
    return Status(201, _rfq_out(request.auth, rfq.pk))


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


# --- timelines ---------------------------------------------------------------------------------
@router.get(
    "/supplier-quotations/{name}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    tags=["supplier quotations"],
)
def supplier_quotation_timeline(request: ApiRequest, name: str):
    """Everything that happened to the supplier quotation, newest first."""
    access.get_supplier_quotation_for(request.auth, name)
    return timeline_for("Supplier Quotation", name)


@router.get(
    "/requests-for-quotation/{name}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    tags=["requests for quotation"],
)
def request_for_quotation_timeline(request: ApiRequest, name: str):
    access.get_request_for_quotation_for(request.auth, name)
    return timeline_for("Request for Quotation", name)
