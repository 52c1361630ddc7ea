"""JSON API of the CRM: opportunities, leads, customers, contacts (thin: look up, call, return)."""

from __future__ import annotations

from ninja import Query, Router, Status

from opportune.accounts.roles import is_sales
from opportune.core.api import ApiRequest, ListParams, Page, paginate, version_from
from opportune.core.errors import PermissionDeniedError
from opportune.core.models import Comment
from opportune.core.schemas import ERRORS, TimelineEntryOut
from opportune.core.timeline import timeline_for
from opportune.crm import access, services
from opportune.crm.filters import (
    CONTACT_ORDERINGS,
    CUSTOMER_ORDERINGS,
    LEAD_ORDERINGS,
    OPPORTUNITY_NULLABLE,
    OPPORTUNITY_ORDERINGS,
    ContactFilters,
    CustomerFilters,
    LeadFilters,
    OpportunityFilters,
    search_contacts,
    search_customers,
    search_leads,
    search_opportunities,
)
from opportune.crm.models import Opportunity
from opportune.crm.schemas import (
    CommentIn,
    CommentOut,
    ContactCreate,
    ContactOut,
    ContactPatch,
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    DeclareLostIn,
    LeadCreate,
    LeadOut,
    LeadPatch,
    MakeOpportunityIn,
    OpportunityCreate,
    OpportunityOut,
    OpportunityPatch,
    VersionIn,
)

router = Router()


def _body(payload, *, drop=("version",)) -> dict:
    return payload.model_dump(exclude_unset=True, exclude=set(drop))


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDeniedError(f"You may not {what}.")


# --- opportunities -----------------------------------------------------------------------------
def _opportunities(user):
    return (
        access.opportunities_visible_to(user)
        .select_related("currency", "owner", "modified_by", "opportunity_owner", "contact_by")
        .prefetch_related("items", "lost_reasons", "competitors")
    )


def _opportunity_out(user, name: str) -> Opportunity:
    return _opportunities(user).get(pk=name)


@router.get(
    "/opportunities", response={200: Page[OpportunityOut], **ERRORS}, tags=["opportunities"]
)
def list_opportunities(
    request: ApiRequest, params: Query[ListParams], filters: Query[OpportunityFilters]
):
    rows = filters.filter(_opportunities(request.auth))
    return paginate(
        rows,
        params,
        orderings=OPPORTUNITY_ORDERINGS,
        nullable=OPPORTUNITY_NULLABLE,
        search=search_opportunities,
    )


@router.post("/opportunities", response={201: OpportunityOut, **ERRORS}, tags=["opportunities"])
def create_opportunity(request: ApiRequest, payload: OpportunityCreate):
    _require(access.can_write_opportunities(request.auth), "create opportunities")
    opportunity = services.create_opportunity(data=_body(payload), by=request.auth)
    return Status(201, _opportunity_out(request.auth, opportunity.pk))


@router.get(
    "/opportunities/{name}", response={200: OpportunityOut, **ERRORS}, tags=["opportunities"]
)
def get_opportunity(request: ApiRequest, name: str):
    access.get_opportunity_for(request.auth, name)
    return _opportunity_out(request.auth, name)


@router.patch(
    "/opportunities/{name}", response={200: OpportunityOut, **ERRORS}, tags=["opportunities"]
)
def update_opportunity(request: ApiRequest, name: str, payload: OpportunityPatch):
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    services.update_opportunity(
        opportunity,
        data=_body(payload),
        version=version_from(request, payload.version),
        by=request.auth,
    )
    return _opportunity_out(request.auth, name)


@router.delete("/opportunities/{name}", response={204: None, **ERRORS}, tags=["opportunities"])
def delete_opportunity(request: ApiRequest, name: str, version: int | None = None):
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    services.delete_opportunity(
        opportunity, version=version_from(request, version), by=request.auth
    )
    return Status(204, None)


@router.post(
    "/opportunities/{name}/declare-lost",
    response={200: OpportunityOut, **ERRORS},
    tags=["opportunities"],
)
def declare_lost(request: ApiRequest, name: str, payload: DeclareLostIn):
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    services.declare_opportunity_lost(
        opportunity,
        lost_reasons=payload.lost_reasons,
        competitors=payload.competitors,
        detail=payload.order_lost_reason,
        version=version_from(request, payload.version),
        by=request.auth,
    )
    return _opportunity_out(request.auth, name)


@router.post(
    "/opportunities/{name}/reopen", response={200: OpportunityOut, **ERRORS}, tags=["opportunities"]
)
def reopen(request: ApiRequest, name: str, payload: VersionIn | None = None):
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    version = version_from(request, payload.version if payload else None)
    services.reopen_opportunity(opportunity, version=version, by=request.auth)
    return _opportunity_out(request.auth, name)


@router.post(
    "/opportunities/{name}/make-customer",
    response={201: CustomerOut, **ERRORS},
    tags=["opportunities"],
)
def make_customer_from_opportunity(request: ApiRequest, name: str):
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    customer = services.make_customer_from_opportunity(opportunity, by=request.auth)
    return Status(201, customer)


@router.get(
    "/opportunities/{name}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    tags=["opportunities"],
)
def opportunity_timeline(request: ApiRequest, name: str):
    access.get_opportunity_for(request.auth, name)
    return timeline_for("Opportunity", name)


@router.get(
    "/opportunities/{name}/comments",
    response={200: list[CommentOut], **ERRORS},
    tags=["opportunities"],
)
def list_comments(request: ApiRequest, name: str):
    access.get_opportunity_for(request.auth, name)
    return Comment.objects.filter(
        reference_doctype="Opportunity", reference_name=name, comment_type="Comment"
    ).select_related("owner")


@router.post(
    "/opportunities/{name}/comments", response={201: CommentOut, **ERRORS}, tags=["opportunities"]
)
def add_comment(request: ApiRequest, name: str, payload: CommentIn):
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    comment = services.add_opportunity_comment(
        opportunity, content=payload.content, by=request.auth
    )
    return Status(201, comment)


# --- leads -------------------------------------------------------------------------------------
def _leads(user):
    return access.leads_visible_to(user).select_related("owner", "modified_by", "lead_owner")


@router.get("/leads", response={200: Page[LeadOut], **ERRORS}, tags=["leads"])
def list_leads(request: ApiRequest, params: Query[ListParams], filters: Query[LeadFilters]):
    return paginate(
        filters.filter(_leads(request.auth)), params, orderings=LEAD_ORDERINGS, search=search_leads
    )


@router.post("/leads", response={201: LeadOut, **ERRORS}, tags=["leads"])
def create_lead(request: ApiRequest, payload: LeadCreate):
    _require(is_sales(request.auth), "create leads")
    lead = services.create_lead(data=_body(payload), by=request.auth)
    return Status(201, _leads(request.auth).get(pk=lead.pk))


@router.get("/leads/{name}", response={200: LeadOut, **ERRORS}, tags=["leads"])
def get_lead(request: ApiRequest, name: str):
    access.get_lead_for(request.auth, name)
    return _leads(request.auth).get(pk=name)


@router.patch("/leads/{name}", response={200: LeadOut, **ERRORS}, tags=["leads"])
def update_lead(request: ApiRequest, name: str, payload: LeadPatch):
    lead = access.get_lead_for(request.auth, name, write=True)
    services.update_lead(
        lead, data=_body(payload), version=version_from(request, payload.version), by=request.auth
    )
    return _leads(request.auth).get(pk=name)


@router.delete("/leads/{name}", response={204: None, **ERRORS}, tags=["leads"])
def delete_lead(request: ApiRequest, name: str, version: int | None = None):
    services.delete_lead(
        access.get_lead_for(request.auth, name, write=True),
        version=version_from(request, version),
        by=request.auth,
    )
    return Status(204, None)


@router.post(
    "/leads/{name}/make-opportunity", response={201: OpportunityOut, **ERRORS}, tags=["leads"]
)
def make_opportunity(request: ApiRequest, name: str, payload: MakeOpportunityIn | None = None):
    lead = access.get_lead_for(request.auth, name, write=True)
    data = _body(payload) if payload else {}
    opportunity = services.make_opportunity_from_lead(lead, by=request.auth, data=data)
    return Status(201, _opportunity_out(request.auth, opportunity.pk))


@router.post("/leads/{name}/make-customer", response={201: CustomerOut, **ERRORS}, tags=["leads"])
def make_customer(request: ApiRequest, name: str):
    lead = access.get_lead_for(request.auth, name, write=True)
    return Status(201, services.make_customer_from_lead(lead, by=request.auth))


# --- customers ---------------------------------------------------------------------------------
def _customers(user):
    return access.customers_visible_to(user).select_related("owner", "modified_by")


@router.get("/customers", response={200: Page[CustomerOut], **ERRORS}, tags=["customers"])
def list_customers(request: ApiRequest, params: Query[ListParams], filters: Query[CustomerFilters]):
    return paginate(
        filters.filter(_customers(request.auth)),
        params,
        orderings=CUSTOMER_ORDERINGS,
        search=search_customers,
    )


@router.post("/customers", response={201: CustomerOut, **ERRORS}, tags=["customers"])
def create_customer(request: ApiRequest, payload: CustomerCreate):
    _require(is_sales(request.auth), "create customers")
    customer = services.create_customer(data=_body(payload), by=request.auth)
    return Status(201, _customers(request.auth).get(pk=customer.pk))


@router.get("/customers/{name}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def get_customer(request: ApiRequest, name: str):
    access.get_customer_for(request.auth, name)
    return _customers(request.auth).get(pk=name)


@router.patch("/customers/{name}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def update_customer(request: ApiRequest, name: str, payload: CustomerPatch):
    customer = access.get_customer_for(request.auth, name, write=True)
    services.update_customer(
        customer,
        data=_body(payload),
        version=version_from(request, payload.version),
        by=request.auth,
    )
    return _customers(request.auth).get(pk=name)


@router.delete("/customers/{name}", response={204: None, **ERRORS}, tags=["customers"])
def delete_customer(request: ApiRequest, name: str, version: int | None = None):
    customer = access.get_customer_for(request.auth, name, write=True)
    services.delete_customer(customer, version=version_from(request, version), by=request.auth)
    return Status(204, None)


# --- contacts ----------------------------------------------------------------------------------
def _contacts(user):
    return access.contacts_visible_to(user).select_related("owner", "modified_by")


@router.get("/contacts", response={200: Page[ContactOut], **ERRORS}, tags=["contacts"])
def list_contacts(request: ApiRequest, params: Query[ListParams], filters: Query[ContactFilters]):
    return paginate(
        filters.filter(_contacts(request.auth)),
        params,
        orderings=CONTACT_ORDERINGS,
        search=search_contacts,
    )


@router.post("/contacts", response={201: ContactOut, **ERRORS}, tags=["contacts"])
def create_contact(request: ApiRequest, payload: ContactCreate):
    _require(is_sales(request.auth), "create contacts")
    contact = services.create_contact(data=_body(payload), by=request.auth)
    return Status(201, _contacts(request.auth).get(pk=contact.pk))


@router.get("/contacts/{name}", response={200: ContactOut, **ERRORS}, tags=["contacts"])
def get_contact(request: ApiRequest, name: str):
    access.get_contact_for(request.auth, name)
    return _contacts(request.auth).get(pk=name)


@router.patch("/contacts/{name}", response={200: ContactOut, **ERRORS}, tags=["contacts"])
def update_contact(request: ApiRequest, name: str, payload: ContactPatch):
    contact = access.get_contact_for(request.auth, name, write=True)
    services.update_contact(
        contact,
        data=_body(payload),
        version=version_from(request, payload.version),
        by=request.auth,
    )
    return _contacts(request.auth).get(pk=name)


@router.delete("/contacts/{name}", response={204: None, **ERRORS}, tags=["contacts"])
def delete_contact(request: ApiRequest, name: str, version: int | None = None):
    services.delete_contact(
        access.get_contact_for(request.auth, name, write=True),
        version=version_from(request, version),
        by=request.auth,
    )
    return Status(204, None)
