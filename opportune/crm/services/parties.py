"""Leads, customers and contacts: create, update, delete, and the lead conversions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from opportune.automation.services import apply_assignment_rules, assignment_rules_apply
from opportune.core.bulk import insert_documents, stamp_and_name
from opportune.core.deleted import keep_deleted
from opportune.core.documents import (
    delete_document,
    insert_named_after,
    lock_document,
    require_version,
    save_document,
    stamp_new,
)
from opportune.core.errors import ConflictError, DomainError, FieldErrors, ValidationError
from opportune.core.fields import (
    USER,
    Link,
    UserLink,
    apply_fields,
    check_known_fields,
    find_record,
    read_links_ahead,
    reading_ahead,
    record_exists,
    validate_model_fields,
)
from opportune.core.models import Document
from opportune.crm.models import (
    Campaign,
    Contact,
    CRMSettings,
    Customer,
    Lead,
    LeadSource,
    Opportunity,
)
from opportune.crm.services.duplicates import (
    LikelyDuplicates,
    check_duplicates,
    check_lead_email,
    check_new_lead,
)
from opportune.crm.status import refresh_lead_status
from opportune.masters.models import Currency, CustomerGroup, Industry, Territory

if TYPE_CHECKING:
    from opportune.core.users import User

D = TypeVar("D", bound=Document)
Spec = Mapping[str, Link | UserLink | None]

LEAD_SPEC = {
    "lead_name": None,
    "company_name": None,
    "email_id": None,
    "phone": None,
    "mobile_no": None,
    "job_title": None,
    "website": None,
    "city": None,
    "country": None,
    "notes": None,
    "disabled": None,
    "source": Link(LeadSource, "Lead Source"),
    "campaign": Link(Campaign, "Campaign"),
    "territory": Link(Territory, "Territory"),
    "industry": Link(Industry, "Industry"),
    "lead_owner": USER,
}
CUSTOMER_SPEC = {
    "customer_name": None,
    "customer_type": None,
    "email_id": None,
    "phone": None,
    "mobile_no": None,
    "website": None,
    "disabled": None,
    "customer_group": Link(CustomerGroup, "Customer Group"),
    "territory": Link(Territory, "Territory"),
    "industry": Link(Industry, "Industry"),
    "default_currency": Link(Currency, "Currency", {"enabled": True}),
}
CONTACT_SPEC = {
    "first_name": None,
    "last_name": None,
    "email_id": None,
    "phone": None,
    "mobile_no": None,
    "designation": None,
    "link_doctype": None,
    "link_name": None,
    "is_primary_contact": None,
}
_FIRST_NAME_MAX = Contact._meta.get_field("first_name").max_length
_LAST_NAME_MAX = Contact._meta.get_field("last_name").max_length
LEAD_STATUSES_BY_HAND = {
    Lead.Status.LEAD,
    Lead.Status.OPEN,
    Lead.Status.REPLIED,
    Lead.Status.INTERESTED,
    Lead.Status.DO_NOT_CONTACT,
}


def _save_new(
    document: Document,
    data: Mapping[str, Any],
    spec: Spec,
    *,
    by: User,
    exclude: Iterable[str] = (),
) -> None:
    errors = FieldErrors()
    apply_fields(document, data, spec, errors)
    validate_model_fields(document, errors, exclude=exclude)
    errors.raise_if_any()
    stamp_new(document, by=by)
    document._history_user = by
    document.save()


def _save_changes(
    model: type[D],
    document: D,
    data: Mapping[str, Any],
    spec: Spec,
    *,
    version: int | None,
    by: User,
    check: Callable[[D, FieldErrors], None] | None = None,
    exclude: Iterable[str] = (),
    then: Callable[[D], object] | None = None,
) -> D:
    require_version(version)
    with transaction.atomic():
        locked = lock_document(model, document.pk, expected_version=version, by=by)
        errors = FieldErrors()
        apply_fields(locked, data, spec, errors)
        if check:
            check(locked, errors)
        validate_model_fields(locked, errors, exclude=exclude)
        errors.raise_if_any()
        save_document(locked, by=by)
        if then is not None:  # in the same transaction: the assignment rules
            then(locked)
    return locked


def _delete(document: Document, *, version: int | None, by: User, refused: str) -> None:
    delete_document(type(document), document, version=version, by=by, protected=refused)


def delete_party_with_contacts(
    party: Document, *, version: int | None, by: User, refused: str
) -> None:
    """A lead, customer or supplier goes with its contacts (ERPNext's
    delete_contact_and_address; a contact here has one link), so none is left pointing at a
    name that may be reused; ``refused`` is the 409's message while others still refer to it."""
    contacts = Contact.objects.filter(link_doctype=party.doctype, link_name=party.pk)
    with transaction.atomic():
        _delete(party, version=version, by=by, refused=refused)
        for contact in contacts:  # each kept (core.deleted) and recorded in its history
            keep_deleted(contact, by=by)
            contact._history_user = by
            contact.delete()


# --- parties of a document (opportunity, quotation) --------------------------------------------
def find_party(kind: str, name: str, errors: FieldErrors) -> Lead | Customer | None:
    """The lead or customer a document is for; None after naming the problem on party_name.
    A disabled customer gets no new document ([develop]); a disabled lead still may."""
    if not name:
        errors.add("party_name", f"Choose the {kind}.")
        return None
    party: Lead | Customer | None = find_record(Lead if kind == "Lead" else Customer, name)
    if party is None:
        errors.add("party_name", f"{kind} '{name}' does not exist.")
        return None
    if kind == "Customer" and party.disabled:
        errors.add("party_name", f"Customer '{name}' is disabled.")
        return None
    return party


def party_customer_name(party: Lead | Customer) -> str:
    """What a document calls its party: the customer's name, or the lead's company (or name)."""
    name = party.customer_name if isinstance(party, Customer) else party.title
    return name[:140]


# --- leads -----------------------------------------------------------------------------------
def _check_lead(lead: Lead, errors: FieldErrors) -> None:
    if not (lead.lead_name or "").strip():
        errors.add("lead_name", "Give the person's name.")


def _contact_points(document: Lead | Customer | Contact) -> dict[str, str]:
    return {f: getattr(document, f) for f in ("email_id", "phone", "mobile_no")}


def _without_allow_duplicate(data: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    values = dict(data)
    return values, bool(values.pop("allow_duplicate", False))


def create_lead(*, data: Mapping[str, Any], by: User, refuse_duplicates: bool = False) -> Lead:
    """A new lead. ERPNext's rule on its email address always applies (crm.services.duplicates);
    ``refuse_duplicates`` (the API and the pages): one with the same address or phone number
    is refused too, unless ``data`` says ``allow_duplicate``."""
    lead, allow_duplicate = _new_lead(data)
    with transaction.atomic():
        if refuse_duplicates and not allow_duplicate:
            check_new_lead(_contact_points(lead))  # ERPNext's rule too, in the same query
        else:
            check_lead_email(lead.email_id)
        _save_new(lead, {}, LEAD_SPEC, by=by)
        if CRMSettings.current().auto_creation_of_contact:
            make_contact_from_lead(lead, by=by)
        apply_assignment_rules(lead, by=by)
    return lead


def _new_lead(data: Mapping[str, Any]) -> tuple[Lead, bool]:
    """A new lead's fields from plain input, checked (a ValidationError names every problem):
    the rules of ``create_lead`` and ``create_leads`` before their writes."""
    data, allow_duplicate = _without_allow_duplicate(data)
    check_known_fields(data, set(LEAD_SPEC) | {"status"})
    lead = Lead(status=data.get("status") or Lead.Status.LEAD)
    if lead.status not in LEAD_STATUSES_BY_HAND:
        raise ValidationError.for_field("status", f"A new lead cannot start as {lead.status}.")
    errors = FieldErrors()
    apply_fields(lead, data, LEAD_SPEC, errors)
    _check_lead(lead, errors)
    validate_model_fields(lead, errors)
    errors.raise_if_any()
    return lead, allow_duplicate


def create_leads(
    rows: Sequence[Mapping[str, Any]], *, by: User, write: bool = True
) -> list[Lead | DomainError]:
    """Many new leads at once (an import's batch), each refused or made as ``create_lead`` with
    ``refuse_duplicates`` would: the same checks (the links of every row read in one query per
    model), the duplicate rules against the leads here and those made earlier in the batch (one
    query), names from the series in one block, one history record each, search entries, the
    lead's contact (CRM Settings ``auto_creation_of_contact``) and the assignment rules.
    Without ``write`` nothing is written (a dry run: each row is checked against the database
    alone, as a create rolled back would be). Answers, per row, the lead or why it was refused.
    """
    outcome: list[Lead | DomainError] = []
    settings = CRMSettings.current()
    with reading_ahead() as cache:
        read_links_ahead(cache, LEAD_SPEC, rows)
        for data in rows:
            try:
                lead, allow_duplicate = _new_lead(data)
            except DomainError as exc:
                outcome.append(exc)
                continue
            lead._allow_duplicate = allow_duplicate  # type: ignore[attr-defined]
            outcome.append(lead)
    leads = [lead for lead in outcome if isinstance(lead, Lead)]
    seen = LikelyDuplicates("Lead", [_contact_points(lead) for lead in leads])

    def check(lead: Lead, found: list[Any]) -> None:
        points = _contact_points(lead)
        if lead._allow_duplicate:  # type: ignore[attr-defined]
            check_lead_email(lead.email_id, found=seen.candidates(found), settings=settings)
        else:
            check_new_lead(points, found=seen.candidates(found), settings=settings)

    refused: list[tuple[int, Lead, list[Any]]] = []
    for place, row in enumerate(outcome):
        if not isinstance(row, Lead):
            continue
        found = seen.documents(_contact_points(row))
        try:
            check(row, found)
        except DomainError:
            refused.append((place, row, found))
            continue
        if write:
            seen.add(row)
    refused_ids = {id(lead) for _, lead, _ in refused}
    made = [lead for lead in outcome if isinstance(lead, Lead) and id(lead) not in refused_ids]
    now = timezone.now()
    if write:
        stamp_and_name(made, by=by, now=now)
    for place, lead, found in refused:  # now the leads of the batch they match have names
        try:
            check(lead, found)
        except DomainError as exc:
            outcome[place] = exc
    if not write:
        return outcome
    insert_documents(made, by=by, when=now)
    if settings.auto_creation_of_contact:
        contacts = []
        with reading_ahead() as cache:
            cache.remember(made)
            for lead in made:
                contact = _new_contact(_contact_data_of_lead(lead))
                stamp_new(contact, by=by, now=now)
                contacts.append(contact)
        insert_documents(contacts, by=by, when=now)
    if assignment_rules_apply("Lead"):
        for lead in made:
            apply_assignment_rules(lead, by=by)
    return outcome


def party_for_email(email: str) -> tuple[str, str] | None:
    """The party behind an e-mail address (ERPNext's make_new_lead_if_required, without the
    write): a customer through one of its contacts, else the oldest lead with that address."""
    contact = (
        Contact.objects.filter(email_id__iexact=email, link_doctype="Customer")
        .order_by("creation")
        .first()
    )
    if contact is not None:
        return "Customer", contact.link_name
    lead = Lead.objects.filter(email_id__iexact=email).order_by("creation").first()
    return ("Lead", lead.name) if lead is not None else None


def create_lead_from_email(email: str, *, by: User) -> Lead:
    """A new lead for an address nobody knows yet, named after its local part
    (``jane.doe@...`` -> "Jane Doe"), through ``create_lead`` and its rules."""
    local = email.split("@", 1)[0]
    lead_name = " ".join(p.capitalize() for p in local.replace("_", ".").split(".") if p)
    return create_lead(data={"lead_name": lead_name or "Unknown", "email_id": email}, by=by)


def make_contact_from_lead(lead: Lead, *, by: User) -> Contact:
    """The lead's person as its primary contact (ERPNext's Lead.create_contact, made when the
    lead is created if CRM Settings ``auto_creation_of_contact`` is on): the first word of the
    lead's name is the first name, the rest the last name; email, phone, mobile and job title
    are copied. Later edits of the lead leave the contact alone, as in ERPNext."""
    return create_contact(data=_contact_data_of_lead(lead), by=by)


def _contact_data_of_lead(lead: Lead) -> dict[str, Any]:
    first, *rest = lead.lead_name.split(None, 1)
    return {
        "first_name": first[:_FIRST_NAME_MAX],
        "last_name": (rest[0] if rest else "")[:_LAST_NAME_MAX].strip(),
        "email_id": lead.email_id,
        "phone": lead.phone,
        "mobile_no": lead.mobile_no,
        "designation": lead.job_title,
        "link_doctype": "Lead",
        "link_name": lead.name,
        "is_primary_contact": True,
    }


def update_lead(lead: Lead, *, data: Mapping[str, Any], version: int | None, by: User) -> Lead:
    check_known_fields(data, set(LEAD_SPEC) | {"status"})
    spec = dict(LEAD_SPEC)
    if "status" in data:
        if data["status"] not in LEAD_STATUSES_BY_HAND:
            raise ValidationError.for_field(
                "status", f"{data['status']} is set by the system, not by hand."
            )
        spec["status"] = None

    def check(locked: Lead, errors: FieldErrors) -> None:
        _check_lead(locked, errors)
        if not errors and locked.email_id != locked._loaded_values["email_id"]:
            check_lead_email(locked.email_id, exclude=locked.pk)  # ERPNext checks every save

    return _save_changes(
        Lead,
        lead,
        data,
        spec,
        version=version,
        by=by,
        check=check,
        then=lambda changed: apply_assignment_rules(changed, by=by),
    )


def delete_lead(lead: Lead, *, version: int | None, by: User) -> None:
    delete_party_with_contacts(
        lead,
        version=version,
        by=by,
        refused="This lead has opportunities or customers; it cannot be deleted.",
    )


def make_customer_from_lead(
    lead: Lead,
    *,
    by: User,
    data: Mapping[str, Any] | None = None,
    opportunity: Opportunity | None = None,
) -> Customer:
    """A customer carrying the lead's details and a copy of each of the lead's contacts (its
    own from ``auto_creation_of_contact`` among them); the lead becomes Converted. ERPNext
    links the same contact to both; a contact here has one link, so the lead keeps its own.

    A lead becomes one customer: a second conversion is refused (ERPNext would silently make
    "Name - 2", a duplicate the sales team then has to merge by hand)."""
    existing = Customer.objects.filter(lead_name=lead).order_by("creation").first()
    if existing is not None:
        raise ConflictError(
            f"Lead {lead.name} was already made into customer {existing.name}.",
            fields={"lead_name": [f"already customer {existing.name}"]},
        )
    values: dict[str, Any] = {
        "customer_name": lead.company_name or lead.lead_name,
        "customer_type": "Company" if lead.company_name else "Individual",
        "territory": lead.territory_id,
        "industry": lead.industry_id,
        "email_id": lead.email_id,
        "phone": lead.phone,
        "mobile_no": lead.mobile_no,
        "website": lead.website,
    }
    if opportunity is not None:
        values["default_currency"] = opportunity.currency_id
        values["customer_name"] = opportunity.customer_name or values["customer_name"]
    values.update(data or {})
    with transaction.atomic():
        customer = create_customer(data=values, by=by, lead=lead, opportunity=opportunity)
        lead_contacts = Contact.objects.filter(link_doctype="Lead", link_name=lead.name)
        for contact in lead_contacts.order_by("creation", "name"):
            _copy_contact(contact, customer, by=by)
        refresh_lead_status(lead)
    return customer


def _copy_contact(contact: Contact, customer: Customer, *, by: User) -> Contact:
    copy = Contact(
        first_name=contact.first_name,
        last_name=contact.last_name,
        email_id=contact.email_id,
        phone=contact.phone,
        mobile_no=contact.mobile_no,
        designation=contact.designation,
        link_doctype="Customer",
        link_name=customer.name,
        is_primary_contact=contact.is_primary_contact,
    )
    stamp_new(copy, by=by)
    copy.save()
    return copy


def make_customer_from_opportunity(opportunity: Opportunity, *, by: User) -> Customer:
    """The customer for a lead's opportunity (one per opportunity)."""
    if opportunity.opportunity_from != Opportunity.From.LEAD:
        raise ConflictError("This opportunity is already for a customer.")
    if Customer.objects.filter(opportunity_name=opportunity).exists():
        raise ConflictError("A customer was already made from this opportunity.")
    lead = opportunity.lead
    assert lead is not None  # an opportunity from a lead has one (opportunity_party_matches_from)
    return make_customer_from_lead(lead, by=by, opportunity=opportunity)


# --- customers -------------------------------------------------------------------------------
def _check_customer(customer: Customer, errors: FieldErrors) -> None:
    if not (customer.customer_name or "").strip():
        errors.add("customer_name", "Give the customer's name.")


def create_customer(
    *,
    data: Mapping[str, Any],
    by: User,
    lead: Lead | None = None,
    opportunity: Opportunity | None = None,
    refuse_duplicates: bool = False,
) -> Customer:
    """A new customer; ``refuse_duplicates`` (the API and the pages): one with the address or
    a phone number of an existing customer is refused unless ``data`` says ``allow_duplicate``."""
    customer, allow_duplicate = _new_customer(data, lead=lead, opportunity=opportunity)
    if refuse_duplicates and not allow_duplicate:
        check_duplicates("Customer", _contact_points(customer))

    def made_already(exc: IntegrityError) -> None:  # one customer per lead or opportunity
        if (
            opportunity is not None
            and Customer.objects.filter(opportunity_name=opportunity).exists()
        ):
            raise ConflictError("A customer was already made from this opportunity.") from exc

    insert_named_after(customer, customer.customer_name, by=by, on_conflict=made_already)
    return customer


def _new_customer(
    data: Mapping[str, Any], *, lead: Lead | None = None, opportunity: Opportunity | None = None
) -> tuple[Customer, bool]:
    """A new customer's fields from plain input, checked (a ValidationError names every
    problem): the rules of ``create_customer`` and ``create_customers`` before their writes."""
    data, allow_duplicate = _without_allow_duplicate(data)
    check_known_fields(data, CUSTOMER_SPEC)
    customer = Customer(lead_name=lead, opportunity_name=opportunity)
    errors = FieldErrors()
    apply_fields(customer, data, CUSTOMER_SPEC, errors)
    _check_customer(customer, errors)
    validate_model_fields(customer, errors)
    errors.raise_if_any()
    customer.customer_name = customer.customer_name.strip()
    return customer, allow_duplicate


class _FreeNames:
    """``insert_named_after``'s names for a batch: each customer named after itself, a name
    taken (here or earlier in the batch) getting ' - 2', ' - 3', ... (one query for the
    batch's names, and one per name already taken for its numbered ones)."""

    def __init__(self, model: type[Document], bases: Iterable[str]) -> None:
        self.model = model
        wanted = {base.replace("/", "-") for base in bases}
        self.taken = set(model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
        self.numbered: set[str] = set()  # bases whose numbered names were read

    def name(self, base: str) -> str:
        base = base.replace("/", "-")
        if base in self.taken and base not in self.numbered:
            self.numbered.add(base)
            self.taken.update(
                self.model._default_manager.filter(pk__startswith=f"{base} - ").values_list(
                    "pk", flat=True
                )
            )
        n, name = 1, base
        while name in self.taken:
            n += 1
            name = f"{base} - {n}"
        self.taken.add(name)
        return name


def create_customers(
    rows: Sequence[Mapping[str, Any]], *, by: User, write: bool = True
) -> list[Customer | DomainError]:
    """Many new customers at once (an import's batch), each refused or made as
    ``create_customer`` with ``refuse_duplicates`` would: the same checks (the links of every
    row read in one query per model), the same address or phone number as a customer here or
    one made earlier in the batch (one query), each named after itself as
    ``insert_named_after`` names it (' - 2' when taken), one history record each, search
    entries. Without ``write`` nothing is written (a dry run: each row checked against the
    database alone). Answers, per row, the customer or why it was refused."""
    outcome: list[Customer | DomainError] = []
    allowed: set[int] = set()
    with reading_ahead() as cache:
        read_links_ahead(cache, CUSTOMER_SPEC, rows)
        for data in rows:
            try:
                customer, allow_duplicate = _new_customer(data)
            except DomainError as exc:
                outcome.append(exc)
                continue
            if allow_duplicate:
                allowed.add(id(customer))
            outcome.append(customer)
    customers = [c for c in outcome if isinstance(c, Customer)]
    seen = LikelyDuplicates("Customer", [_contact_points(c) for c in customers])
    names = _FreeNames(Customer, [c.customer_name for c in customers]) if write else None
    now = timezone.now()
    refused: list[tuple[int, Customer, list[Any]]] = []
    made: list[Customer] = []
    for place, row in enumerate(outcome):
        if not isinstance(row, Customer):
            continue
        found = [] if id(row) in allowed else seen.documents(_contact_points(row))
        if found:
            refused.append((place, row, found))
            continue
        if names is not None:
            row.name = names.name(row.customer_name)
            stamp_new(row, by=by, now=now)
            row._history_user = by
            seen.add(row)
            made.append(row)
    for place, customer, found in refused:
        try:
            check_duplicates("Customer", _contact_points(customer), found=seen.candidates(found))
        except DomainError as exc:
            outcome[place] = exc
    if write:
        insert_documents(made, by=by, when=now)
    return outcome


def update_customer(
    customer: Customer, *, data: Mapping[str, Any], version: int | None, by: User
) -> Customer:
    check_known_fields(data, CUSTOMER_SPEC)
    return _save_changes(
        Customer, customer, data, CUSTOMER_SPEC, version=version, by=by, check=_check_customer
    )


def delete_customer(customer: Customer, *, version: int | None, by: User) -> None:
    delete_party_with_contacts(
        customer,
        version=version,
        by=by,
        refused="This customer has opportunities; it cannot be deleted.",
    )


# --- contacts --------------------------------------------------------------------------------
PARTY_MODELS: dict[str, type[Document]] = {"Lead": Lead, "Customer": Customer}


def register_contact_party(doctype: str, model: type[Document]) -> None:
    """Higher apps (buying) let contacts link to their parties (Supplier)."""
    PARTY_MODELS[doctype] = model


def _check_contact(contact: Contact, errors: FieldErrors) -> None:
    if not (contact.first_name or "").strip():
        errors.add("first_name", "Give the contact's first name.")
    if contact.link_doctype or contact.link_name:
        model = PARTY_MODELS.get(contact.link_doctype)
        if model is None:
            errors.add("link_doctype", f"Link to one of: {', '.join(PARTY_MODELS)}.")
        elif not record_exists(model, contact.link_name):
            errors.add("link_name", f"{contact.link_doctype} '{contact.link_name}' does not exist.")


def _new_contact(data: Mapping[str, Any]) -> Contact:
    """A new contact's fields from plain input, checked: ``create_contact``'s rules."""
    check_known_fields(data, CONTACT_SPEC)
    contact = Contact()
    errors = FieldErrors()
    apply_fields(contact, data, CONTACT_SPEC, errors)
    _check_contact(contact, errors)
    errors.raise_if_any()
    return contact


def create_contact(
    *, data: Mapping[str, Any], by: User, refuse_duplicates: bool = False
) -> Contact:
    """A new contact; ``refuse_duplicates`` (the API): one with the address or a phone number
    of an existing contact is refused unless ``data`` says ``allow_duplicate``."""
    data, allow_duplicate = _without_allow_duplicate(data)
    contact = _new_contact(data)
    if refuse_duplicates and not allow_duplicate:
        check_duplicates("Contact", _contact_points(contact))
    with transaction.atomic():
        _save_new(contact, {}, CONTACT_SPEC, by=by)
    return contact


def create_contacts(
    rows: Sequence[Mapping[str, Any]], *, by: User, write: bool = True
) -> list[Contact | DomainError]:
    """Many new contacts at once (an import's batch), each refused or made as
    ``create_contact`` with ``refuse_duplicates`` would, in its order of checks: the input
    (``_new_contact``, the parties the rows link to read in one query per kind), the same
    address or phone number as a contact here or one made earlier in the batch (one query),
    then the model's field checks; names from the series in one block, one history record
    each, search entries. Without ``write`` nothing is written (a dry run: each row checked
    against the database alone). Answers, per row, the contact or why it was refused."""
    outcome: list[Contact | DomainError] = []
    field_errors: dict[int, FieldErrors] = {}
    allowed: set[int] = set()
    with reading_ahead() as cache:
        for kind, model in PARTY_MODELS.items():
            cache.read(model, {r.get("link_name") for r in rows if r.get("link_doctype") == kind})
        for data in rows:
            values, allow_duplicate = _without_allow_duplicate(data)
            try:
                contact = _new_contact(values)
            except DomainError as exc:
                outcome.append(exc)
                continue
            errors = FieldErrors()
            validate_model_fields(contact, errors)  # raised after the duplicates, as _save_new
            field_errors[id(contact)] = errors
            if allow_duplicate:
                allowed.add(id(contact))
            outcome.append(contact)
    contacts = [c for c in outcome if isinstance(c, Contact)]
    seen = LikelyDuplicates("Contact", [_contact_points(c) for c in contacts])
    refused: list[tuple[int, Contact, list[Any]]] = []
    for place, row in enumerate(outcome):
        if not isinstance(row, Contact):
            continue
        found = [] if id(row) in allowed else seen.documents(_contact_points(row))
        if found:
            refused.append((place, row, found))
            continue
        try:
            field_errors[id(row)].raise_if_any()
        except DomainError as exc:
            outcome[place] = exc
            continue
        if write:
            seen.add(row)
    refused_ids = {id(c) for _, c, _ in refused}
    made = [c for c in outcome if isinstance(c, Contact) and id(c) not in refused_ids]
    now = timezone.now()
    if write:
        stamp_and_name(made, by=by, now=now)
    for place, contact, found in refused:  # now the contacts of the batch they match have names
        try:
            check_duplicates("Contact", _contact_points(contact), found=seen.candidates(found))
        except DomainError as exc:
            outcome[place] = exc
    if write:
        insert_documents(made, by=by, when=now)
    return outcome


def update_contact(
    contact: Contact, *, data: Mapping[str, Any], version: int | None, by: User
) -> Contact:
    check_known_fields(data, CONTACT_SPEC)
    return _save_changes(
        Contact, contact, data, CONTACT_SPEC, version=version, by=by, check=_check_contact
    )


def delete_contact(contact: Contact, *, version: int | None, by: User) -> None:
    _delete(contact, version=version, by=by, refused="This contact is still used.")
