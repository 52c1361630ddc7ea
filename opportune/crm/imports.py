"""What the CRM offers to import (core.imports, decision 0030): leads, customers, contacts and
opportunities with their items, each row through the service the pages call.

The headers each column is known by: its field name, its label on our pages and in our exports,
and ERPNext's label and field name (its Data Import's and list exports' headers), so a file
exported from ERPNext or from here maps itself. ``ERPNEXT_*`` below are those of ERPNext and
are what a migration from ERPNext reads too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from opportune.core.errors import DomainError, ValidationError
from opportune.core.imports import Importer, columns, item_row_columns, register_importer
from opportune.crm import access, services
from opportune.crm.models import Contact, Customer, Lead, Opportunity, OpportunityItem
from opportune.crm.services.opportunity_draft import FIELD_SPEC
from opportune.crm.services.parties import CONTACT_SPEC, CUSTOMER_SPEC, LEAD_SPEC

if TYPE_CHECKING:
    from opportune.core.users import User

T = TypeVar("T")

# ERPNext's label -> our field, where the label is not ours (field names map themselves)
ERPNEXT_LEAD = {
    "Lead Name": "lead_name",
    "Full Name": "lead_name",
    "Organization Name": "company_name",
    "Company Name": "company_name",
    "Email": "email_id",
    "Email Address": "email_id",
    "Mobile No": "mobile_no",
    "Phone": "phone",
    "Job Title": "job_title",
    "Website": "website",
    "City": "city",
    "Country": "country",
    "Source": "source",
    "Campaign Name": "campaign",
    "campaign_name": "campaign",
    "Territory": "territory",
    "Industry": "industry",
    "Lead Owner": "lead_owner",
    "Notes": "notes",
}
ERPNEXT_CUSTOMER = {
    "Customer Name": "customer_name",
    "Customer Type": "customer_type",
    "Customer Group": "customer_group",
    "Territory": "territory",
    "Industry": "industry",
    "Billing Currency": "default_currency",
    "Default Currency": "default_currency",
    "Email Id": "email_id",
    "Email": "email_id",
    "Mobile No": "mobile_no",
    "Phone": "phone",
    "Website": "website",
    "Disabled": "disabled",
}
ERPNEXT_CONTACT = {
    "First Name": "first_name",
    "Last Name": "last_name",
    "Email Address": "email_id",
    "Email Id": "email_id",
    "Email": "email_id",
    "Phone": "phone",
    "Mobile No": "mobile_no",
    "Designation": "designation",
    "Is Primary Contact": "is_primary_contact",
    "Link Document Type": "link_doctype",
    "Link Document Type (Links)": "link_doctype",
    "Link Name": "link_name",
    "Link Name (Links)": "link_name",
}
ERPNEXT_OPPORTUNITY = {
    "Opportunity From": "opportunity_from",
    "Party": "party_name",
    "Opportunity Type": "opportunity_type",
    "Sales Stage": "sales_stage",
    "Source": "source",
    "Campaign": "campaign",
    "Currency": "currency",
    "Territory": "territory",
    "Customer Group": "customer_group",
    "Industry": "industry",
    "Opportunity Owner": "opportunity_owner",
    "Expected Closing Date": "expected_closing",
    "Probability (%)": "probability",
    "Opportunity Amount": "opportunity_amount",
    "Contact Email": "contact_email",
    "Contact Mobile": "contact_mobile",
    "Contact Person": "contact_person",
    "Next Contact By": "contact_by",
    "Next Contact Date": "contact_date",
    "To Discuss": "to_discuss",
    "Title": "title",
    "Job Title": "job_title",
    "Phone": "phone",
}


def check_party_visible(by: User, kind: Any, name: Any, field: str = "party_name") -> None:
    """A lead named in a row must be one the importing user sees (customers are shared)."""
    if kind == "Lead" and name and not access.leads_visible_to(by).filter(pk=name).exists():
        raise ValidationError.for_field(field, f"Lead '{name}' does not exist.")


def _create_lead(data: dict[str, Any], by: User) -> Lead:
    return services.create_lead(data=data, by=by, refuse_duplicates=True)


def _create_leads(rows: list[dict[str, Any]], by: User, write: bool) -> list[Lead | DomainError]:
    return services.create_leads(rows, by=by, write=write)


def _create_customer(data: dict[str, Any], by: User) -> Customer:
    return services.create_customer(data=data, by=by, refuse_duplicates=True)


def _create_customers(
    rows: list[dict[str, Any]], by: User, write: bool
) -> list[Customer | DomainError]:
    return services.create_customers(rows, by=by, write=write)


def _create_contact(data: dict[str, Any], by: User) -> Contact:
    check_party_visible(by, data.get("link_doctype"), data.get("link_name"), "link_name")
    return services.create_contact(data=data, by=by, refuse_duplicates=True)


def _create_contacts(
    rows: list[dict[str, Any]], by: User, write: bool
) -> list[Contact | DomainError]:
    """``_create_contact`` for a batch: the same lead check (one query) before
    ``create_contacts``, the service's bulk twin."""
    return past_hidden_leads(
        rows,
        by,
        "link_doctype",
        "link_name",
        lambda ready: services.create_contacts(ready, by=by, write=write),
    )


def _create_opportunity(data: dict[str, Any], by: User) -> Opportunity:
    check_party_visible(by, data.get("opportunity_from"), data.get("party_name"))
    if not data.get("items"):
        data.pop("items", None)
    return services.create_opportunity(data=data, by=by)


def _invisible_leads(by: User, rows: list[dict[str, Any]], kind: str, field: str) -> set[Any]:
    """The leads named in ``rows`` (``kind``, ``field``) the user does not see: one query for a
    batch, what ``check_party_visible`` asks of each row."""
    named = {data.get(field) for data in rows if data.get(kind) == "Lead" and data.get(field)}
    if not named:
        return set()
    seen = set(access.leads_visible_to(by).filter(pk__in=named).values_list("pk", flat=True))
    return named - seen


def _create_opportunities(
    rows: list[dict[str, Any]], by: User, write: bool
) -> list[Opportunity | DomainError]:
    """``_create_opportunity`` for a batch: the same party check (one query) before
    ``create_opportunities``, the service's bulk twin."""
    for data in rows:
        if not data.get("items"):
            data.pop("items", None)
    return past_hidden_leads(
        rows,
        by,
        "opportunity_from",
        "party_name",
        lambda ready: services.create_opportunities(ready, by=by, write=write),
    )


def past_hidden_leads(
    rows: list[dict[str, Any]],
    by: User,
    kind: str,
    field: str,
    create_many: Callable[[list[dict[str, Any]]], Sequence[T | DomainError]],
) -> list[T | DomainError]:
    """What ``check_party_visible`` answers each row, for a batch: a lead the user does not see
    is refused as missing (naming ``field``); the other rows go to ``create_many`` together,
    and the answers come back in the rows' order."""
    hidden = _invisible_leads(by, rows, kind, field)
    answers: list[T | DomainError | None] = []
    ready = []
    for data in rows:
        if data.get(kind) == "Lead" and data.get(field) in hidden:
            answers.append(
                ValidationError.for_field(field, f"Lead '{data[field]}' does not exist.")
            )
            continue
        answers.append(None)
        ready.append(data)
    made = iter(create_many(ready))
    return [answer if answer is not None else next(made) for answer in answers]


def register() -> None:
    lead_fields = [f for f in LEAD_SPEC if f != "disabled"]
    register_importer(
        Importer(
            doctype="Lead",
            label="Leads",
            columns=columns(
                Lead,
                lead_fields,
                ERPNEXT_LEAD,
                required=("lead_name",),
                labels={"lead_name": "Person Name", "company_name": "Organization Name"},
            ),
            create=_create_lead,
            create_many=_create_leads,
            may_import=access.can_write_opportunities,
            ignored_headers=("Status", "Modified", "modified", "creation", "Created On"),
        )
    )
    register_importer(
        Importer(
            doctype="Customer",
            label="Customers",
            columns=columns(Customer, CUSTOMER_SPEC, ERPNEXT_CUSTOMER, required=("customer_name",)),
            create=_create_customer,
            create_many=_create_customers,
            may_import=access.can_write_opportunities,
            ignored_headers=("From Lead", "Modified", "modified", "creation", "Created On"),
        )
    )
    register_importer(
        Importer(
            doctype="Contact",
            label="Contacts",
            columns=columns(Contact, CONTACT_SPEC, ERPNEXT_CONTACT, required=("first_name",)),
            create=_create_contact,
            create_many=_create_contacts,
            may_import=access.can_write_opportunities,
        )
    )
    opportunity_fields = [
        "opportunity_from",
        "party_name",
        *(f for f in FIELD_SPEC if f != "with_items"),
    ]
    register_importer(
        Importer(
            doctype="Opportunity",
            label="Opportunities (with their items)",
            columns=(
                *columns(
                    Opportunity,
                    opportunity_fields,
                    ERPNEXT_OPPORTUNITY,
                    required=("party_name",),
                    labels={"opportunity_from": "Opportunity From", "party_name": "Party"},
                ),
                *item_row_columns(OpportunityItem),
            ),
            create=_create_opportunity,
            create_many=_create_opportunities,
            may_import=access.can_write_opportunities,
            ignored_headers=("Status", "Modified", "modified", "creation", "Created On"),
            defaults={"opportunity_from": "Lead"},
        )
    )
