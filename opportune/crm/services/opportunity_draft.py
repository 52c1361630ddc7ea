"""One validation pass over an opportunity and its items, in ERPNext's order.

``OpportunityDraft`` turns plain input into field values: the party and what it brings, the
contact and the defaults here; the exchange rate, the items and the totals in core's item
engine (``core.items``), which every priced document shares. Every problem is collected by
field so the service writes all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from opportune.core.company import CompanySettings
from opportune.core.fields import USER, Link, UserLink, find_record, looked_up, parse_decimal
from opportune.core.items import MAX_AMOUNT, ItemsDraft, describe_row_changes
from opportune.core.models import Comment
from opportune.core.money import ZERO, round_money
from opportune.core.statements import Placeholders, fetch
from opportune.core.timeline import add_comment
from opportune.crm.models import (
    Campaign,
    Contact,
    Customer,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityItem,
    OpportunityType,
    SalesStage,
)
from opportune.crm.services.parties import find_party, party_customer_name
from opportune.masters.models import Currency, CustomerGroup, Industry, Territory

if TYPE_CHECKING:
    from opportune.core.users import User

DEFAULT_SALES_STAGE = "Prospecting"

FIELD_SPEC: dict[str, Link | UserLink | None] = {
    "opportunity_type": Link(OpportunityType, "Opportunity Type"),
    "sales_stage": Link(SalesStage, "Sales Stage"),
    "source": Link(LeadSource, "Lead Source"),
    "campaign": Link(Campaign, "Campaign"),
    "currency": Link(Currency, "Currency", {"enabled": True}),
    "territory": Link(Territory, "Territory"),
    "customer_group": Link(CustomerGroup, "Customer Group"),
    "industry": Link(Industry, "Industry"),
    "contact_person": Link(Contact, "Contact"),
    "opportunity_owner": USER,
    "contact_by": USER,
    "title": None,
    "transaction_date": None,
    "expected_closing": None,
    "probability": None,
    "conversion_rate": None,
    "opportunity_amount": None,
    "with_items": None,
    "contact_email": None,
    "contact_mobile": None,
    "phone": None,
    "job_title": None,
    "contact_date": None,
    "to_discuss": None,
}
WRITABLE = set(FIELD_SPEC) | {"opportunity_from", "party_name", "items", "status"}
# Fields copied from the party when empty on the opportunity (ERPNext's map_fields).
PARTY_FIELDS = {
    "Lead": ("territory", "industry", "source", "campaign", "job_title", "phone"),
    "Customer": ("territory", "customer_group", "industry", "phone"),
}


FIRST_CONTACT = "first contact"  # core.fields.looked_up's kind: (party kind, name) -> Contact


def first_contact_of(kind: str, name: str) -> Contact | None:
    """The contact a new opportunity for the party takes when none is given: its primary
    contact, else its oldest (read ahead for a bulk write's batch, else one query)."""

    def build(v: Placeholders) -> QuerySet[Contact]:
        rows = Contact.objects.filter(link_doctype=v.kind, link_name=v.name)
        return rows.order_by("-is_primary_contact", "creation")[:1]

    def read() -> Contact | None:  # a kept statement (core/statements.py): every create reads it
        found = fetch("crm.first_contact", build, kind=kind, name=name)
        return found[0] if found else None

    contact: Contact | None = looked_up(FIRST_CONTACT, (kind, name), read)
    return contact


class OpportunityDraft(ItemsDraft):
    """One validation pass over an opportunity and its items, in ERPNext's order."""

    model = Opportunity
    spec = FIELD_SPEC
    writable = frozenset(WRITABLE)
    item_model = OpportunityItem
    parent_field = "opportunity"
    refetch_rate_of_one = True
    exclude_from_model_checks = {"party_name", "opportunity_from", "customer_name", "status"}
    # what the rows' prices and the amounts follow (header_totals); a party change too, to be
    # safe (it may bring a currency)
    priced_by = frozenset(
        {
            "items",
            "currency",
            "conversion_rate",
            "opportunity_amount",
            "with_items",
            "transaction_date",
            "opportunity_from",
            "party_name",
        }
    )

    def __init__(
        self,
        opportunity: Opportunity,
        data: Mapping[str, Any],
        *,
        creating: bool,
        now: datetime,
        settings: CompanySettings | None = None,
    ) -> None:
        super().__init__(opportunity, data, creating=creating, settings=settings)
        self.now = now
        self.original_status = opportunity.status
        self.before = {
            f: getattr(opportunity, f)
            for f in ("opportunity_amount", "total", "party_name", "sales_stage_id")
        }
        self.party_changed = False
        self.party: Lead | Customer | None = None

    # The order matters: party first (it fills other fields), totals last.
    def header(self, changed: set[str]) -> None:
        self._party(changed)
        self._contact()
        self._defaults()
        if self.data.get("items") and "with_items" not in self.data:
            self.doc.with_items = True  # items were sent, so the items section is in use

    def _party(self, changed: set[str]) -> None:
        opp, data = self.doc, self.data
        kind = data.get("opportunity_from", opp.opportunity_from)
        name = data.get("party_name", opp.party_name)
        if kind not in Opportunity.From.values:
            self.errors.add("opportunity_from", "Opportunity From must be Lead or Customer.")
            if not name:
                self.errors.add("party_name", "Choose the party (a Lead or a Customer).")
            return
        party = find_party(kind, name, self.errors)
        if party is None:
            return
        party_changed = (kind, name) != (opp.opportunity_from, opp.party_name)
        opp.opportunity_from, opp.party_name = kind, name
        opp.lead = party if kind == "Lead" else None
        opp.customer = party if kind == "Customer" else None
        old_customer_name = opp.customer_name
        opp.customer_name = party_customer_name(party)
        if party_changed and not self.creating:
            self.party_changed = True
            if opp.title == old_customer_name and "title" not in data:
                opp.title = ""
            if party.territory_id and "territory" not in data:
                opp.territory_id = party.territory_id
            # the old party's contact no longer applies: take the new party's
            if "contact_person" not in data:
                opp.contact_person = None
            for field in ("contact_display", "contact_email", "contact_mobile"):
                if field not in data:
                    setattr(opp, field, "")
        if not opp.title:
            opp.title = opp.customer_name
        for field in PARTY_FIELDS[kind]:
            attr = f"{field}_id" if field in FIELD_SPEC and FIELD_SPEC[field] else field
            if not getattr(opp, attr) and field not in changed:
                setattr(opp, attr, getattr(party, attr))
        if kind == "Lead":
            opp.contact_display = opp.contact_display or party.lead_name
            opp.contact_email = opp.contact_email or party.email_id
            opp.contact_mobile = opp.contact_mobile or party.mobile_no
        else:
            opp.contact_email = opp.contact_email or party.email_id
            opp.contact_mobile = opp.contact_mobile or party.mobile_no
        self.party = party

    def _contact(self) -> None:
        opp = self.doc
        if self.errors or not opp.party_name:
            return
        if (
            opp.contact_person_id is None
            and "contact_person" not in self.data
            and (self.creating or self.party_changed)
        ):
            opp.contact_person = first_contact_of(opp.opportunity_from, opp.party_name)
        contact = opp.contact_person
        if contact is None:
            return
        if (contact.link_doctype, contact.link_name) != (opp.opportunity_from, opp.party_name):
            if "contact_person" in self.data:
                self.errors.add(
                    "contact_person",
                    f"Contact '{contact.name}' is not linked to {opp.opportunity_from} "
                    f"'{opp.party_name}'.",
                )
            else:  # the party changed: the old contact no longer applies
                opp.contact_person = None
            return
        opp.contact_display = contact.full_name
        if "contact_email" not in self.data and contact.email_id:
            opp.contact_email = contact.email_id
        if "contact_mobile" not in self.data and contact.mobile_no:
            opp.contact_mobile = contact.mobile_no

    def _defaults(self) -> None:
        opp = self.doc
        stage = None
        if self.creating and not opp.sales_stage_id and "sales_stage" not in self.data:
            stage = find_record(SalesStage, DEFAULT_SALES_STAGE)
            opp.sales_stage_id = stage.pk if stage is not None else None
        stage_moved = opp.sales_stage_id != self.before["sales_stage_id"] or self.creating
        if "probability" not in self.data and stage_moved and opp.sales_stage_id:
            if stage is None:
                stage = find_record(SalesStage, opp.sales_stage_id)
            if stage is not None:
                opp.probability = stage.probability
        if isinstance(opp.contact_date, datetime) and timezone.is_naive(opp.contact_date):
            opp.contact_date = timezone.make_aware(opp.contact_date)  # the current time zone
        for field in ("probability", "opportunity_amount"):
            if field in self.data and self.data[field] is not None:
                setattr(opp, field, parse_decimal(field, self.data[field], self.errors))
        # bounds checked before any arithmetic, so huge input is a 422, never an overflow
        if opp.opportunity_amount is not None and opp.opportunity_amount >= MAX_AMOUNT:
            self.errors.add(
                "opportunity_amount", f"Opportunity amount must be below {MAX_AMOUNT:,}."
            )

    def default_currency(self) -> str:
        return getattr(self.party, "default_currency_id", None) or super().default_currency()

    def row_fields(self, item: Any) -> dict[str, Any]:  # a masters Item
        return {"item_group_id": item.item_group_id, "brand": item.brand}

    def header_totals(self, precision: int, company_precision: int) -> None:
        """``opportunity_amount`` follows the items' total while it was never set apart."""
        opp = self.doc
        rate = opp.conversion_rate or Decimal(1)
        amount_given = self.data.get("opportunity_amount") is not None
        if (
            opp.with_items
            and not amount_given
            and (self.creating or self.before["opportunity_amount"] == self.before["total"])
        ):
            opp.opportunity_amount = opp.total
        opp.opportunity_amount = round_money(opp.opportunity_amount or ZERO, precision)
        opp.base_opportunity_amount = round_money(opp.opportunity_amount * rate, company_precision)

    def checks(self, changed: set[str]) -> None:
        opp, errors = self.doc, self.errors
        if opp.probability is not None and not (0 <= opp.probability <= 100):
            errors.add("probability", "Probability must be between 0 and 100.")
        if opp.opportunity_amount is not None and opp.opportunity_amount < 0:
            errors.add("opportunity_amount", "Opportunity amount cannot be negative.")
        elif opp.base_opportunity_amount is not None and opp.base_opportunity_amount >= MAX_AMOUNT:
            errors.add(
                "opportunity_amount",
                f"Opportunity amount must be below {MAX_AMOUNT:,} in the company currency.",
            )
        if not opp.with_items and {"with_items", "items"} & set(self.data) and self.rows:
            errors.add(
                "with_items",
                "Remove the items first: with_items cannot be unset while items exist.",
            )
        if (
            opp.expected_closing
            and isinstance(opp.transaction_date, date)
            and opp.expected_closing < opp.transaction_date
            and {"expected_closing", "transaction_date"} & changed
        ):
            errors.add(
                "expected_closing", "Expected closing cannot be before the opportunity date."
            )
        if (
            "contact_date" in changed
            and opp.contact_date
            and isinstance(opp.contact_date, datetime)
            and opp.contact_date < self.now
        ):
            errors.add("contact_date", "Next Contact Date cannot be in the past.")

    def rows_changed(self, old: list[Any], new: list[Any], *, by: User | None) -> None:
        """An edit of the items leaves a line on the timeline."""
        text = describe_row_changes(old, new)
        if text:
            add_comment(
                "Opportunity",
                self.doc.name,
                content=text,
                by=by,
                comment_type=Comment.Type.INFO,
            )
