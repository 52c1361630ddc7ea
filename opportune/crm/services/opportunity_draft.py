"""One validation pass over an opportunity and its items, in ERPNext's order.

``OpportunityDraft`` turns plain input into field values: the party and what it brings, the
contact, defaults, the exchange rate, the items and the totals, collecting every problem by
field so the service writes all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, localcontext

from django.utils import timezone

from opportune.core.documents import stamp_new
from opportune.core.errors import FieldErrors
from opportune.core.fields import (
    USER,
    Link,
    apply_fields,
    parse_decimal,
    validate_model_fields,
)
from opportune.core.models import Comment
from opportune.core.money import ZERO, round_money
from opportune.core.timeline import add_comment
from opportune.crm.models import (
    Campaign,
    Contact,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityItem,
    OpportunityType,
    SalesStage,
)
from opportune.crm.services.parties import find_party, party_customer_name
from opportune.masters.models import UOM, Currency, CustomerGroup, Industry, Territory
from opportune.masters.services import get_exchange_rate, items_by_code

S = Opportunity.Status
DEFAULT_SALES_STAGE = "Prospecting"
MAX_QTY = Decimal(10) ** 9
MAX_RATE = Decimal(10) ** 12
MAX_AMOUNT = Decimal(10) ** 15
MAX_CONVERSION_RATE = Decimal(10) ** 9
QTY_PLACES = Decimal("0.000001")

FIELD_SPEC = {
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
ITEM_FIELDS = {"item_code", "item_name", "description", "qty", "uom", "rate"}
# Fields copied from the party when empty on the opportunity (ERPNext's map_fields).
PARTY_FIELDS = {
    "Lead": ("territory", "industry", "source", "campaign", "job_title", "phone"),
    "Customer": ("territory", "customer_group", "industry", "phone"),
}


class OpportunityDraft:
    """One validation pass over an opportunity and its items, in ERPNext's order."""

    def __init__(self, opportunity, data, settings, *, creating: bool, now: datetime, by):
        self.opp = opportunity
        self.by = by
        self.data = data
        self.settings = settings
        self.creating = creating
        self.now = now
        self.errors = FieldErrors()
        self.original_status = opportunity.status
        self.before = {
            f: getattr(opportunity, f)
            for f in (
                "opportunity_amount",
                "total",
                "currency_id",
                "party_name",
                "sales_stage_id",
                "contact_date",
            )
        }
        self.old_items = [] if creating else list(opportunity.items.all())
        self.new_items: list[OpportunityItem] | None = None
        self.party_changed = False

    # The order matters: party first (it fills other fields), totals last.
    def apply(self) -> None:
        changed = apply_fields(self.opp, self.data, FIELD_SPEC, self.errors)
        self._party(changed)
        self._contact()
        self._defaults(changed)
        self._exchange_rate(changed)
        self._items()
        self._totals()
        self._checks(changed)
        validate_model_fields(
            self.opp,
            self.errors,
            exclude={"party_name", "opportunity_from", "customer_name", "status"},
        )
        self.errors.raise_if_any()

    def _party(self, changed: set[str]) -> None:
        opp, data = self.opp, self.data
        kind = data.get("opportunity_from", opp.opportunity_from)
        name = data.get("party_name", opp.party_name)
        if not name and data.get("contact_email") and self.creating:
            kind, name = party_for_email(data["contact_email"], by=self.by)
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
        opp = self.opp
        if self.errors or not opp.party_name:
            return
        if (
            opp.contact_person_id is None
            and "contact_person" not in self.data
            and (self.creating or self.party_changed)
        ):
            opp.contact_person = (
                Contact.objects.filter(link_doctype=opp.opportunity_from, link_name=opp.party_name)
                .order_by("-is_primary_contact", "creation")
                .first()
            )
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

    def _defaults(self, changed: set[str]) -> None:
        opp = self.opp
        if (
            self.creating
            and not opp.sales_stage_id
            and "sales_stage" not in self.data
            and SalesStage.objects.filter(pk=DEFAULT_SALES_STAGE).exists()
        ):
            opp.sales_stage_id = DEFAULT_SALES_STAGE
        stage_moved = opp.sales_stage_id != self.before["sales_stage_id"] or self.creating
        if "probability" not in self.data and stage_moved and opp.sales_stage_id:
            stage = SalesStage.objects.filter(pk=opp.sales_stage_id).first()
            if stage is not None:
                opp.probability = stage.probability
        if not opp.currency_id:
            party = getattr(self, "party", None)
            opp.currency_id = (
                getattr(party, "default_currency_id", None) or self.settings.company_currency_id
            )
        if isinstance(opp.contact_date, datetime) and timezone.is_naive(opp.contact_date):
            opp.contact_date = timezone.make_aware(opp.contact_date)  # the current time zone
        for field in ("probability", "conversion_rate", "opportunity_amount"):
            if field in self.data and self.data[field] is not None:
                setattr(opp, field, parse_decimal(field, self.data[field], self.errors))
        # bounds checked before any arithmetic, so huge input is a 422, never an overflow
        if opp.conversion_rate is not None and opp.conversion_rate >= MAX_CONVERSION_RATE:
            self.errors.add(
                "conversion_rate", f"Conversion rate must be less than {MAX_CONVERSION_RATE:,}."
            )
        if opp.opportunity_amount is not None and opp.opportunity_amount >= MAX_AMOUNT:
            self.errors.add(
                "opportunity_amount", f"Opportunity amount must be below {MAX_AMOUNT:,}."
            )

    def _exchange_rate(self, changed: set[str]) -> None:
        opp = self.opp
        company = self.settings.company_currency_id
        if opp.currency_id == company:
            opp.conversion_rate = Decimal(1)
            return
        if self.data.get("conversion_rate") is not None:
            return
        currency_changed = opp.currency_id != self.before["currency_id"]
        if self.creating or currency_changed or opp.conversion_rate in (None, Decimal(1)):
            on_date = opp.transaction_date if isinstance(opp.transaction_date, date) else None
            rate = get_exchange_rate(opp.currency_id, company, on_date or timezone.localdate())
            if rate is None:
                self.errors.add(
                    "conversion_rate",
                    f"No exchange rate from {opp.currency_id} to {company} on or before "
                    f"{on_date}: enter the conversion rate, or record the rate under Currency "
                    "Exchange.",
                )
            else:
                opp.conversion_rate = rate

    def _items(self) -> None:
        if "items" not in self.data:
            return
        rows = self.data["items"] or []
        if not isinstance(rows, list | tuple):
            self.errors.add("items", "Items must be a list.")
            return
        codes = {r.get("item_code") for r in rows if isinstance(r, Mapping)} - {None, ""}
        items = items_by_code(codes)
        uoms = set(
            UOM.objects.filter(
                pk__in={r.get("uom") for r in rows if isinstance(r, Mapping)}
                | {i.stock_uom_id for i in items.values()}
            ).values_list("pk", flat=True)
        )
        whole = set(UOM.objects.filter(must_be_whole_number=True).values_list("pk", flat=True))
        if rows and "with_items" not in self.data:
            self.opp.with_items = True  # items were sent, so the items section is in use
        self.new_items = []
        for idx, row in enumerate(rows, start=1):
            built = self._item_row(idx, row, items, uoms, whole)
            if built is not None:
                self.new_items.append(built)

    def _item_row(self, idx, row, items, uoms, whole) -> OpportunityItem | None:
        prefix = f"items[{idx - 1}]"
        if not isinstance(row, Mapping):
            self.errors.add(prefix, "Each item must be an object.")
            return None
        for unknown in sorted(set(row) - ITEM_FIELDS - {"name", "amount", "idx"}):
            self.errors.add(f"{prefix}.{unknown}", "This field is not known or cannot be written.")
        code = row.get("item_code")
        item = items.get(code)
        if item is None:
            self.errors.add(
                f"{prefix}.item_code",
                f"Item '{code}' does not exist." if code else "Choose an item.",
            )
            return None
        if item.disabled:
            self.errors.add(f"{prefix}.item_code", f"Item '{code}' is disabled.")
        qty = parse_decimal(f"{prefix}.qty", row.get("qty", 1), self.errors)
        rate_in = row.get("rate")
        rate = (
            item.standard_rate
            if rate_in is None
            else parse_decimal(f"{prefix}.rate", rate_in, self.errors)
        )
        uom = row.get("uom") or item.stock_uom_id
        if uom not in uoms:
            self.errors.add(f"{prefix}.uom", f"UOM '{uom}' does not exist.")
        if qty is not None and qty <= 0:
            self.errors.add(f"{prefix}.qty", "Quantity must be greater than 0.")
        elif qty is not None and qty >= MAX_QTY:
            self.errors.add(f"{prefix}.qty", f"Quantity must be less than {MAX_QTY:,}.")
        elif qty is not None and uom in whole and qty != qty.to_integral_value():
            self.errors.add(
                f"{prefix}.qty",
                f"Quantity ({qty}) cannot be a fraction in row {idx}: {uom} is counted "
                "in whole numbers.",
            )
        if rate is not None and rate < 0:
            self.errors.add(f"{prefix}.rate", "Rate cannot be negative.")
        elif rate is not None and rate >= MAX_RATE:
            self.errors.add(f"{prefix}.rate", f"Rate must be less than {MAX_RATE:,}.")
        return OpportunityItem(
            idx=idx,
            item_code=item,
            item_name=(row.get("item_name") or item.item_name)[:140],
            description=row.get("description") or item.description,
            item_group_id=item.item_group_id,
            brand=item.brand,
            qty=(qty if qty is not None and 0 < qty < MAX_QTY else Decimal(1)).quantize(QTY_PLACES),
            uom_id=uom,
            rate=rate if rate is not None else ZERO,
        )

    def _totals(self) -> None:
        if self.errors:
            return
        # wide enough for any product of bounded inputs; the bounds are checked after
        with localcontext(prec=60):
            self._compute_totals()

    def _compute_totals(self) -> None:
        opp = self.opp
        precision = (
            Currency.objects.filter(pk=opp.currency_id).values_list("precision", flat=True).first()
        )
        precision = 2 if precision is None else precision
        company_precision = self.settings.company_currency.precision
        rate = opp.conversion_rate or Decimal(1)
        rows = self.new_items if self.new_items is not None else self.old_items
        total = base_total = top_base_rate = ZERO
        for row in rows:
            row.rate = round_money(row.rate, precision)
            row.amount = round_money(row.qty * row.rate, precision)
            row.base_rate = round_money(row.rate * rate, company_precision)
            row.base_amount = round_money(row.amount * rate, company_precision)
            total += row.amount
            base_total += row.base_amount
            top_base_rate = max(top_base_rate, row.base_rate)
        opp.total, opp.base_total = total, base_total
        if max(total, base_total, top_base_rate) >= MAX_AMOUNT:
            self.errors.add("items", f"The items' total must stay below {MAX_AMOUNT:,}.")
            return
        amount_given = self.data.get("opportunity_amount") is not None
        if (
            opp.with_items
            and not amount_given
            and (self.creating or self.before["opportunity_amount"] == self.before["total"])
        ):
            opp.opportunity_amount = total
        opp.opportunity_amount = round_money(opp.opportunity_amount or ZERO, precision)
        opp.base_opportunity_amount = round_money(opp.opportunity_amount * rate, company_precision)

    def _checks(self, changed: set[str]) -> None:
        opp, errors = self.opp, self.errors
        if opp.probability is not None and not (0 <= opp.probability <= 100):
            errors.add("probability", "Probability must be between 0 and 100.")
        if opp.opportunity_amount is not None and opp.opportunity_amount < 0:
            errors.add("opportunity_amount", "Opportunity amount cannot be negative.")
        elif opp.base_opportunity_amount is not None and opp.base_opportunity_amount >= MAX_AMOUNT:
            errors.add(
                "opportunity_amount",
                f"Opportunity amount must be below {MAX_AMOUNT:,} in the company currency.",
            )
        if opp.conversion_rate is not None and opp.conversion_rate <= 0:
            errors.add("conversion_rate", "Conversion rate must be greater than 0.")
        rows = self.new_items if self.new_items is not None else self.old_items
        if not opp.with_items and rows:
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

    def save_items(self) -> None:
        if self.new_items is None:
            return
        old = [(i.item_code_id, i.qty, i.uom_id, i.rate) for i in self.old_items]
        new = [(i.item_code_id, i.qty, i.uom_id, i.rate) for i in self.new_items]
        self.opp.items.all().delete()
        for row in self.new_items:
            row.opportunity = self.opp
        OpportunityItem.objects.bulk_create(self.new_items)
        if not self.creating and old != new:
            add_comment(
                "Opportunity",
                self.opp.name,
                content=_describe_items(old, new),
                by=self.opp.modified_by,
                comment_type=Comment.Type.INFO,
            )


def _describe_items(old, new) -> str:
    def line(row):
        code, qty, uom, rate = row
        return f"{code} {qty.normalize():f} {uom} at {rate.normalize():f}"

    removed = [line(r) for r in old if r not in new]
    added = [line(r) for r in new if r not in old]
    parts = []
    if removed:
        parts.append("removed " + "; ".join(removed))
    if added:
        parts.append("added " + "; ".join(added))
    return "Items changed: " + ", ".join(parts) if parts else "Items reordered"


def party_for_email(email: str, *, by) -> tuple[str, str]:
    """The party behind an e-mail address (ERPNext's make_new_lead_if_required): a customer
    through one of its contacts, else a lead with that address, else a new lead."""
    contact = (
        Contact.objects.filter(email_id__iexact=email, link_doctype="Customer")
        .order_by("creation")
        .first()
    )
    if contact is not None:
        return "Customer", contact.link_name
    lead = Lead.objects.filter(email_id__iexact=email).order_by("creation").first()
    if lead is None:
        local = email.split("@", 1)[0]
        lead_name = " ".join(p.capitalize() for p in local.replace("_", ".").split(".") if p)
        lead = Lead(lead_name=lead_name or "Unknown", email_id=email)
        stamp_new(lead, by=by)
        lead._history_user = by
        lead.save()
    return "Lead", lead.name
