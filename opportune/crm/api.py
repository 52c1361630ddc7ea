"""JSON API of the CRM: opportunities, leads, customers, contacts (thin: look up, call, return)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ninja import Router, Status

from opportune.accounts.auth import API_AUTH
from opportune.accounts.roles import is_sales
from opportune.core.api import ApiRequest, version_from
from opportune.core.api_documents import (
    DocumentApi,
    add_document_action,
    add_document_routes,
    payload_data,
    version_action,
)
from opportune.core.documents import as_read
from opportune.core.items import written_of
from opportune.core.schemas import ERRORS
from opportune.crm import access, services
from opportune.crm.api_comments import add_comment_routes
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
from opportune.crm.models import (
    Competitor,
    Contact,
    Customer,
    Lead,
    Opportunity,
    OpportunityItem,
    OpportunityLostReason,
)
from opportune.crm.schemas import (
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
    MergeIn,
    OpportunityCreate,
    OpportunityOut,
    OpportunityPatch,
)
from opportune.crm.win_probability import attach_win_predictions, no_win_prediction
from opportune.masters.models import Currency

router = Router()


def add_merge_route(
    router: Router, doc: DocumentApi, model: type[Lead | Customer | Contact]
) -> None:
    """``POST <path>/{name}/merge`` (managers): this document goes into ``into``
    (crm.services.merge); answers the survivor."""

    def merge(request: ApiRequest, name: str, payload: MergeIn):
        document: Any = doc.lookup(request.auth, name, write=True)
        survivor = services.merge_party(
            model,
            document,
            into=payload.into,
            keep=payload.keep,
            version=version_from(request, payload.version),
            into_version=payload.into_version,
            by=request.auth,
        )
        return doc.out_for(request.auth, survivor.pk)

    add_document_action(router, doc, "merge", merge, operation=f"merge_{doc.one}")


def add_declare_lost_route(
    router: Router, doc: DocumentApi, service: Callable[..., Any], *, operation: str
) -> None:
    """``POST <path>/{name}/declare-lost`` of an opportunity or a quotation: the reasons (Lost
    Reason master), competitors and detail, with the version read; answers the document."""

    def declare_lost(request: ApiRequest, name: str, payload: DeclareLostIn):
        document = doc.lookup(request.auth, name, write=True)
        service(
            document,
            lost_reasons=payload.lost_reasons,
            competitors=payload.competitors,
            detail=payload.order_lost_reason,
            version=version_from(request, payload.version),
            by=request.auth,
        )
        return doc.out_for(request.auth, name)

    add_document_action(router, doc, "declare-lost", declare_lost, operation=operation)


# --- opportunities -----------------------------------------------------------------------------
def attach_win_predictions_to_page(rows: list[Any], names: frozenset[str]) -> None:
    """The page's win predictions in one query, when the list answers them."""
    if names & {"win_probability", "win_factors"}:
        attach_win_predictions(rows)


def prime_created_opportunity(opportunity: Any) -> None:
    """A new opportunity has no lost reason, competitor (only declaring it lost sets them) or
    win prediction (the win model scores it later): its answer reads none of them."""
    cache = opportunity.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, model in (("lost_reasons", OpportunityLostReason), ("competitors", Competitor)):
        rows: Any = model.objects.none()  # evaluated, as a prefetch leaves it: not compiled
        rows._result_cache, rows._prefetch_done = [], True
        cache[name] = rows
    no_win_prediction(opportunity)


def answer_created_opportunity(opportunity: Any) -> Any:
    """The answer to a create from what the service wrote (no read of the row, its items or
    its currency): its columns as a read gives them back, the rows inserted, the currency's
    precision as the item engine read it (all ``out`` reads of the currency). The links not
    held by the instance (a contact_by named by the client) are read when answered, as before.
    None when the item engine did not price it (then the document is read)."""
    written = written_of(opportunity)
    if written is None:
        return None
    as_read(opportunity)
    rows = [as_read(row) for row in written.rows]
    if not Opportunity._meta.get_field("currency").is_cached(opportunity):
        opportunity.currency = Currency(
            name=opportunity.currency_id, precision=written.currency_precision
        )
    items: Any = OpportunityItem.objects.all()  # as a prefetch leaves it: evaluated
    items._result_cache, items._prefetch_done = rows, True
    opportunity.__dict__.setdefault("_prefetched_objects_cache", {})["items"] = items
    prime_created_opportunity(opportunity)
    return opportunity


OPPORTUNITIES = DocumentApi(
    auth=API_AUTH,
    path="opportunities",
    tag="opportunities",
    one="opportunity",
    many="opportunities",
    module=__name__,
    out=OpportunityOut,
    create_in=OpportunityCreate,
    patch_in=OpportunityPatch,
    filters=OpportunityFilters,
    orderings=OPPORTUNITY_ORDERINGS,
    nullable=OPPORTUNITY_NULLABLE,
    search=search_opportunities,
    visible=access.opportunities_visible_to,
    related=("currency", "opportunity_owner", "contact_by"),
    prefetch=("items", "lost_reasons", "competitors"),
    lookup=access.get_opportunity_for,
    update_locks_lookup=True,
    can_create=access.can_write_opportunities,
    check_links=access.check_party_link,
    create=services.create_opportunity,
    update=services.update_opportunity,
    delete=services.delete_opportunity,
    timeline="Opportunity",
    decorate=attach_win_predictions_to_page,
    created_without=("lost_reasons", "competitors"),
    prime_created=prime_created_opportunity,
    answer_created=answer_created_opportunity,
    lean_read=True,
)
add_document_routes(router, OPPORTUNITIES)
add_declare_lost_route(
    router, OPPORTUNITIES, services.declare_opportunity_lost, operation="declare_lost"
)
add_document_action(
    router,
    OPPORTUNITIES,
    "reopen",
    version_action(OPPORTUNITIES, services.reopen_opportunity),
    operation="reopen",
)


@router.post(
    "/opportunities/{name}/make-customer",
    response={201: CustomerOut, **ERRORS},
    tags=["opportunities"],
)
def make_customer_from_opportunity(request: ApiRequest, name: str):
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    customer = services.make_customer_from_opportunity(opportunity, by=request.auth)
    return Status(201, customer)


# the operations keep the ids they had before leads had comments too
add_comment_routes(
    router,
    OPPORTUNITIES,
    "Opportunity",
    services.add_opportunity_comment,
    list_operation="list_comments",
    add_operation="add_comment",
)


# --- leads -------------------------------------------------------------------------------------
LEADS = DocumentApi(
    auth=API_AUTH,
    path="leads",
    tag="leads",
    one="lead",
    many="leads",
    module=__name__,
    out=LeadOut,
    create_in=LeadCreate,
    patch_in=LeadPatch,
    filters=LeadFilters,
    orderings=LEAD_ORDERINGS,
    search=search_leads,
    visible=access.leads_visible_to,
    related=("lead_owner",),
    lookup=access.get_lead_for,
    can_create=is_sales,
    create=partial(services.create_lead, refuse_duplicates=True),
    update=services.update_lead,
    delete=services.delete_lead,
    timeline="Lead",
)
add_document_routes(router, LEADS)
add_comment_routes(router, LEADS, "Lead", services.add_lead_comment)
add_merge_route(router, LEADS, Lead)


@router.post(
    "/leads/{name}/make-opportunity", response={201: OpportunityOut, **ERRORS}, tags=["leads"]
)
def make_opportunity(request: ApiRequest, name: str, payload: MakeOpportunityIn | None = None):
    lead = access.get_lead_for(request.auth, name, write=True)
    data = payload_data(payload) if payload else {}
    opportunity = services.make_opportunity_from_lead(lead, by=request.auth, data=data)
    return Status(201, OPPORTUNITIES.out_for(request.auth, opportunity.pk))


@router.post("/leads/{name}/make-customer", response={201: CustomerOut, **ERRORS}, tags=["leads"])
def make_customer(request: ApiRequest, name: str):
    lead = access.get_lead_for(request.auth, name, write=True)
    return Status(201, services.make_customer_from_lead(lead, by=request.auth))


# --- customers, contacts -----------------------------------------------------------------------
CUSTOMERS = DocumentApi(
    auth=API_AUTH,
    path="customers",
    tag="customers",
    one="customer",
    many="customers",
    module=__name__,
    out=CustomerOut,
    create_in=CustomerCreate,
    patch_in=CustomerPatch,
    filters=CustomerFilters,
    orderings=CUSTOMER_ORDERINGS,
    search=search_customers,
    visible=access.customers_visible_to,
    lookup=access.get_customer_for,
    can_create=is_sales,
    create=partial(services.create_customer, refuse_duplicates=True),
    update=services.update_customer,
    delete=services.delete_customer,
)
add_document_routes(router, CUSTOMERS)
add_merge_route(router, CUSTOMERS, Customer)


CONTACTS = DocumentApi(
    auth=API_AUTH,
    path="contacts",
    tag="contacts",
    one="contact",
    many="contacts",
    module=__name__,
    out=ContactOut,
    create_in=ContactCreate,
    patch_in=ContactPatch,
    filters=ContactFilters,
    orderings=CONTACT_ORDERINGS,
    search=search_contacts,
    visible=access.contacts_visible_to,
    lookup=access.get_contact_for,
    can_create=is_sales,
    check_links=access.check_contact_link,
    create=partial(services.create_contact, refuse_duplicates=True),
    update=services.update_contact,
    delete=services.delete_contact,
)
add_document_routes(router, CONTACTS)
add_merge_route(router, CONTACTS, Contact)
