"""How each ERPNext v15 doctype becomes Opportune's (field names as ERPNext's REST API gives
them; ERPNEXT_BEHAVIOUR.md section 1). Masters first, then the parties, then the documents, so
that every link points at something already here. Names are kept (a "/" becomes "-")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from opportune.buying.models import (
    Supplier,
    SupplierGroup,
    SupplierQuotation,
    SupplierQuotationItem,
)
from opportune.crm.models import (
    Campaign,
    Competitor,
    Contact,
    Customer,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityItem,
    OpportunityLostReason,
    OpportunityType,
    SalesStage,
)
from opportune.erpnext.importer import Child, Context, Kids, Spec
from opportune.erpnext.sources import Row
from opportune.erpnext.values import Skip, check, day, email, local_name, moment, number, text
from opportune.masters.models import (
    UOM,
    Currency,
    CustomerGroup,
    Industry,
    Item,
    ItemGroup,
    Territory,
)
from opportune.selling.models import Quotation, QuotationItem

CENT = Decimal("0.01")


# --- shared pieces -----------------------------------------------------------------------------
def _name(row: Row, ctx: Context) -> str:
    name = local_name(row.get("name"))
    if name != text(row.get("name")):
        ctx.note('its name has a "/", written "-" here')
    return name


def _stamps(row: Row, ctx: Context) -> dict[str, Any]:
    """Who made and last changed the record, and when (in the site's time zone)."""
    values: dict[str, Any] = {
        "owner_id": ctx.user(row.get("owner"), what="owner", runner_if_unknown=True),
        "modified_by_id": ctx.user(
            row.get("modified_by"), what="modified_by", runner_if_unknown=True
        ),
    }
    creation = moment(row.get("creation"), ctx.zone, "creation")
    modified = moment(row.get("modified"), ctx.zone, "modified")
    if creation:
        values["creation"] = creation
    if modified:
        values["modified"] = modified
    return values


def _email(row: Row, field: str, ctx: Context) -> str:
    address, valid = email(row.get(field))
    if not valid:
        ctx.note(f"{field} is not an email address: left empty")
    return address


def _currency(row: Row, field: str, ctx: Context, *, required: bool = True) -> str | None:
    code = text(row.get(field)).upper()
    if not code:
        if not required:
            return None
        from opportune.crm.models import CRMSettings

        company = str(CRMSettings.load().company_currency_id)
        ctx.note(f"no {field}: the company's ({company})")
        return company
    if code not in ctx.known(Currency):
        raise Skip(f"{field} is not a currency here", code)
    return code


def _rate(row: Row) -> Decimal:
    rate = number(row.get("conversion_rate"), "conversion_rate", Decimal(1))
    return rate if rate > 0 else Decimal(1)


def _choice(row: Row, field: str, choices: Any, default: str, mapping: dict[str, str]) -> str:
    value = text(row.get(field)) or default
    value = mapping.get(value, value)
    if value not in choices.values:
        raise Skip(f"its {field} {value!r} is not one of {', '.join(choices.values)}")
    return value


def _master(extra: Any = None) -> Any:
    def build(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
        values = {"name": _name(row, ctx)}
        if extra:
            values.update(extra(row, ctx))
        return values

    return build


# --- masters -----------------------------------------------------------------------------------
def _uom(row: Row, ctx: Context) -> dict[str, Any]:
    return {
        "must_be_whole_number": check(row.get("must_be_whole_number")),
        "enabled": check(row.get("enabled", 1)),
    }


def _territory(row: Row, ctx: Context) -> dict[str, Any]:
    return {"parent_territory_id": ctx.link(Territory, row.get("parent_territory"), what="parent")}


def _item(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    return {
        "name": _name(row, ctx),
        "item_name": text(row.get("item_name")) or text(row.get("name")),
        "description": text(row.get("description")),
        "item_group_id": ctx.ensure(ItemGroup, row.get("item_group"), what="item_group"),
        "brand": text(row.get("brand")),
        "stock_uom_id": ctx.ensure(UOM, row.get("stock_uom") or "Nos", what="stock_uom"),
        "standard_rate": number(row.get("standard_rate"), "standard_rate"),
        "is_sales_item": check(row.get("is_sales_item", 1)),
        "is_purchase_item": check(row.get("is_purchase_item", 1)),
        "disabled": check(row.get("disabled")),
    }


# --- parties -----------------------------------------------------------------------------------
def _source(row: Row, ctx: Context) -> str | None:
    # v15 calls it source; the newest ERPNext utm_source
    return ctx.ensure(LeadSource, row.get("source") or row.get("utm_source"), what="source")


def _campaign(row: Row, ctx: Context, field: str) -> str | None:
    return ctx.ensure(Campaign, row.get(field) or row.get("utm_campaign"), what="campaign")


def _lead(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    person = " ".join(p for p in (text(row.get("first_name")), text(row.get("last_name"))) if p)
    name = text(row.get("lead_name")) or person or text(row.get("company_name"))
    if not name:
        raise Skip("it has neither a person's nor a company's name")
    return {
        "name": _name(row, ctx),
        **_stamps(row, ctx),
        "lead_name": name,
        "company_name": text(row.get("company_name")),
        "email_id": _email(row, "email_id", ctx),
        "phone": text(row.get("phone")),
        "mobile_no": text(row.get("mobile_no")),
        "job_title": text(row.get("job_title")),
        "website": text(row.get("website")),
        "city": text(row.get("city")),
        "country": text(row.get("country")),
        "source_id": _source(row, ctx),
        "campaign_id": _campaign(row, ctx, "campaign_name"),
        "territory_id": ctx.ensure(Territory, row.get("territory"), what="territory"),
        "industry_id": ctx.ensure(Industry, row.get("industry"), what="industry"),
        "lead_owner_id": ctx.user(
            row.get("lead_owner"), what="lead_owner", runner_if_unknown=False
        ),
        "status": _choice(row, "status", Lead.Status, "Lead", {}),
        "disabled": check(row.get("disabled")),
    }


def _customer(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    kind = text(row.get("customer_type")) or "Company"
    if kind not in Customer.CustomerType.values:
        ctx.note(f"customer_type {kind} is a Company here")
        kind = "Company"
    return {
        "name": _name(row, ctx),
        **_stamps(row, ctx),
        "customer_name": text(row.get("customer_name")) or text(row.get("name")),
        "customer_type": kind,
        "customer_group_id": ctx.ensure(
            CustomerGroup, row.get("customer_group"), what="customer_group"
        ),
        "territory_id": ctx.ensure(Territory, row.get("territory"), what="territory"),
        "industry_id": ctx.ensure(Industry, row.get("industry"), what="industry"),
        "default_currency_id": _currency(row, "default_currency", ctx, required=False),
        "email_id": _email(row, "email_id", ctx),
        "mobile_no": text(row.get("mobile_no")),
        "website": text(row.get("website")),
        "lead_name_id": ctx.link(Lead, row.get("lead_name"), what="lead_name"),
        # the opportunity it was made from comes after it: set at the end of the run
        "opportunity_name_id": ctx.later(
            Opportunity, row.get("opportunity_name"), attname="opportunity_name_id"
        ),
        "disabled": check(row.get("disabled")),
    }


def _supplier(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    return {
        "name": _name(row, ctx),
        **_stamps(row, ctx),
        "supplier_name": text(row.get("supplier_name")) or text(row.get("name")),
        "supplier_group_id": ctx.ensure(
            SupplierGroup, row.get("supplier_group"), what="supplier_group"
        ),
        "country": text(row.get("country")),
        "default_currency_id": _currency(row, "default_currency", ctx, required=False),
        "email_id": _email(row, "email_id", ctx),
        "phone": text(row.get("mobile_no")) or text(row.get("phone")),
        "website": text(row.get("website")),
        "disabled": check(row.get("disabled")),
    }


# a contact belongs to one party here: the first of its links to one that came over
CONTACT_PARTIES = {"Customer": Customer, "Lead": Lead, "Supplier": Supplier}


def _contact(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    first = text(row.get("first_name")) or text(row.get("full_name")) or text(row.get("name"))
    link_doctype = link_name = ""
    for link in kids.get("Dynamic Link", []):
        model = CONTACT_PARTIES.get(text(link.get("link_doctype")))
        target = local_name(link.get("link_name"))
        if model is not None and target in ctx.known(model):
            if link_doctype:
                ctx.note("linked to more than one party: the first is kept")
                break
            link_doctype, link_name = text(link.get("link_doctype")), target
    if not link_doctype and kids.get("Dynamic Link"):
        ctx.note("none of its links is to a lead, customer or supplier that came over")
    emails = kids.get("Contact Email", [])
    primary_email = next(
        (e for e in emails if check(e.get("is_primary"))), emails[0] if emails else {}
    )
    address = row.get("email_id") or primary_email.get("email_id")
    return {
        "name": _name(row, ctx),
        **_stamps(row, ctx),
        "first_name": first,
        "last_name": text(row.get("last_name")),
        "email_id": _email({"email_id": address}, "email_id", ctx),
        "phone": text(row.get("phone")),
        "mobile_no": text(row.get("mobile_no")),
        "designation": text(row.get("designation")),
        "link_doctype": link_doctype,
        "link_name": link_name,
        "is_primary_contact": check(row.get("is_primary_contact")),
    }


# --- documents ---------------------------------------------------------------------------------
def _party(row: Row, ctx: Context, field: str) -> tuple[str, str]:
    kind = text(row.get(field))
    if kind not in ("Lead", "Customer"):
        raise Skip(f"its {field} is {kind or 'empty'}: only Lead and Customer come over")
    party = local_name(row.get("party_name"))
    if party not in ctx.known(Lead if kind == "Lead" else Customer):
        raise Skip(f"its {kind.lower()} did not come over", party)
    return kind, party


def _opportunity(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    kind, party = _party(row, ctx, "opportunity_from")
    rate = _rate(row)
    # ERPNext's opportunity_amount is the user's figure, not the items' total: kept as it is;
    # its company-currency amount computed (decision 1 of ERPNEXT_BEHAVIOUR.md)
    amount = number(row.get("opportunity_amount"), "opportunity_amount")
    seconds = row.get("first_response_time")
    minutes = (number(seconds, "first_response_time") / 60).quantize(CENT) if seconds else None
    status = _choice(row, "status", Opportunity.Status, "Open", {})
    if status == "Lost" and not kids.get("Opportunity Lost Reason Detail"):
        ctx.note("Lost without a lost reason (kept as ERPNext had it)")
    return {
        "name": _name(row, ctx),
        **_stamps(row, ctx),
        "opportunity_from": kind,
        "party_name": party,
        "lead_id": party if kind == "Lead" else None,
        "customer_id": party if kind == "Customer" else None,
        "customer_name": text(row.get("customer_name")),
        "title": text(row.get("title")) or text(row.get("customer_name")) or party,
        "opportunity_type_id": ctx.ensure(
            OpportunityType, row.get("opportunity_type") or "Sales", what="opportunity_type"
        ),
        "status": status,
        "sales_stage_id": ctx.ensure(SalesStage, row.get("sales_stage"), what="sales_stage"),
        "source_id": _source(row, ctx),
        "campaign_id": _campaign(row, ctx, "campaign"),
        "opportunity_owner_id": ctx.user(
            row.get("opportunity_owner"), what="opportunity_owner", runner_if_unknown=False
        ),
        "transaction_date": day(row.get("transaction_date"), "transaction_date")
        or day(row.get("creation"), "creation"),
        "expected_closing": day(row.get("expected_closing"), "expected_closing"),
        "probability": min(
            max(number(row.get("probability"), "probability"), Decimal(0)), Decimal(100)
        ),
        "currency_id": _currency(row, "currency", ctx),
        "conversion_rate": rate,
        "opportunity_amount": amount,
        "base_opportunity_amount": (amount * rate).quantize(Decimal("0.0001")),
        "with_items": bool(kids.get("Opportunity Item")),
        "total": number(row.get("total"), "total"),
        "base_total": number(row.get("base_total"), "base_total"),
        "contact_person_id": ctx.link(Contact, row.get("contact_person"), what="contact_person"),
        "contact_display": text(row.get("contact_display"))[:140],
        "contact_email": _email(row, "contact_email", ctx),
        "contact_mobile": text(row.get("contact_mobile")),
        "phone": text(row.get("phone")),
        "job_title": text(row.get("job_title")),
        "territory_id": ctx.ensure(Territory, row.get("territory"), what="territory"),
        "customer_group_id": ctx.ensure(
            CustomerGroup, row.get("customer_group"), what="customer_group"
        ),
        "industry_id": ctx.ensure(Industry, row.get("industry"), what="industry"),
        "order_lost_reason": text(row.get("order_lost_reason")),
        "mins_to_first_response": minutes,
    }


def _item_row(row: Row, ctx: Context, parent: str, *, stock_uom: bool) -> dict[str, Any]:
    code = local_name(row.get("item_code"))
    if code not in ctx.known(Item):
        raise Skip("its item did not come over", code or "(empty)")
    qty = number(row.get("qty"), "qty", Decimal(1))
    if qty <= 0:
        raise Skip("its qty is not above 0", str(qty))
    own_uom = ctx.item_uom(code)
    uom = local_name(row.get("uom"))
    if uom not in ctx.known(UOM):
        uom = own_uom or "Nos"
    values: dict[str, Any] = {
        "idx": int(number(row.get("idx"), "idx", Decimal(1))),
        "item_code_id": code,
        "item_name": text(row.get("item_name"))[:140],
        "description": text(row.get("description")),
        "qty": qty,
        "uom_id": uom,
        "rate": number(row.get("rate"), "rate"),
        "amount": number(row.get("amount"), "amount"),
        "base_rate": number(row.get("base_rate"), "base_rate"),
        "base_amount": number(row.get("base_amount"), "base_amount"),
    }
    if stock_uom:
        su = local_name(row.get("stock_uom"))
        values["stock_uom_id"] = su if su in ctx.known(UOM) else (own_uom or uom)
    if min(values["rate"], values["amount"]) < 0:
        raise Skip("its rate or amount is negative")
    return values


def _opportunity_item(row: Row, ctx: Context, parent: str) -> dict[str, Any]:
    values = _item_row(row, ctx, parent, stock_uom=False)
    values["item_group_id"] = ctx.ensure(ItemGroup, row.get("item_group"), what="item_group")
    values["brand"] = text(row.get("brand"))
    return values


def _transaction_item(row: Row, ctx: Context, parent: str) -> dict[str, Any]:
    values = _item_row(row, ctx, parent, stock_uom=True)
    values["prevdoc_doctype"] = text(row.get("prevdoc_doctype"))
    values["prevdoc_docname"] = local_name(row.get("prevdoc_docname"))
    return values


def _totals(row: Row, ctx: Context) -> dict[str, Any]:
    """A transaction's money as ERPNext computed it (its taxes table summed into one rate)."""
    values = {
        f: number(row.get(f), f)
        for f in (
            "total",
            "base_total",
            "net_total",
            "base_net_total",
            "total_taxes_and_charges",
            "base_total_taxes_and_charges",
            "grand_total",
            "base_grand_total",
        )
    }
    tax_rate = Decimal(0)
    if values["net_total"] > 0:
        tax_rate = (values["total_taxes_and_charges"] * 100 / values["net_total"]).quantize(
            Decimal("0.001")
        )
    return {
        **values,
        "tax_rate": min(max(tax_rate, Decimal(0)), Decimal(100)),
        "docstatus": int(number(row.get("docstatus"), "docstatus")),
        "transaction_date": day(row.get("transaction_date"), "transaction_date")
        or day(row.get("creation"), "creation"),
        "currency_id": _currency(row, "currency", ctx),
        "conversion_rate": _rate(row),
        "terms": text(row.get("terms")),
    }


def _quotation(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    kind, party = _party(row, ctx, "quotation_to")
    # v15's "Replied" is an open quotation here
    status = _choice(row, "status", Quotation.Status, "Draft", {"Replied": "Open"})
    return {
        "name": _name(row, ctx),
        **_stamps(row, ctx),
        **_totals(row, ctx),
        "quotation_to": kind,
        "party_name": party,
        "lead_id": party if kind == "Lead" else None,
        "customer_id": party if kind == "Customer" else None,
        "customer_name": text(row.get("customer_name")),
        "title": text(row.get("title")) or text(row.get("customer_name")) or party,
        "opportunity_id": ctx.link(Opportunity, row.get("opportunity"), what="opportunity"),
        "valid_till": day(row.get("valid_till"), "valid_till"),
        "status": status,
        "contact_person_id": ctx.link(Contact, row.get("contact_person"), what="contact_person"),
        "contact_display": text(row.get("contact_display"))[:140],
        "contact_email": _email(row, "contact_email", ctx),
        "contact_mobile": text(row.get("contact_mobile")),
        "territory_id": ctx.ensure(Territory, row.get("territory"), what="territory"),
        "customer_group_id": ctx.ensure(
            CustomerGroup, row.get("customer_group"), what="customer_group"
        ),
        "source_id": _source(row, ctx),
        "campaign_id": _campaign(row, ctx, "campaign"),
        "order_lost_reason": text(row.get("order_lost_reason")),
    }


def _supplier_quotation(row: Row, ctx: Context, kids: Kids) -> dict[str, Any]:
    supplier = local_name(row.get("supplier"))
    if supplier not in ctx.known(Supplier):
        raise Skip("its supplier did not come over", supplier)
    status = _choice(row, "status", SupplierQuotation.Status, "Draft", {"Stopped": "Submitted"})
    return {
        "name": _name(row, ctx),
        **_stamps(row, ctx),
        **_totals(row, ctx),
        "supplier_id": supplier,
        "supplier_name": text(row.get("supplier_name")),
        "valid_till": day(row.get("valid_till"), "valid_till"),
        "opportunity_id": ctx.link(Opportunity, row.get("opportunity"), what="opportunity"),
        "status": status,
    }


def _description(field: str) -> Any:
    return lambda row, ctx: {field: text(row.get(field))}


SPECS: tuple[Spec, ...] = (
    Spec("UOM", UOM, _master(_uom)),
    # trees: parents before their children
    Spec("Territory", Territory, _master(_territory), order_by="lft asc"),
    Spec("Customer Group", CustomerGroup, _master(), order_by="lft asc"),
    Spec("Item Group", ItemGroup, _master(), order_by="lft asc"),
    Spec("Opportunity Type", OpportunityType, _master(_description("description"))),
    Spec("Sales Stage", SalesStage, _master()),
    Spec("Lead Source", LeadSource, _master(_description("details"))),
    Spec("Opportunity Lost Reason", OpportunityLostReason, _master()),
    Spec(
        "Competitor",
        Competitor,
        _master(lambda row, ctx: {"website": text(row.get("website"))}),
    ),
    Spec("Item", Item, _item),
    Spec("Lead", Lead, _lead),
    Spec("Customer", Customer, _customer),
    Spec("Supplier", Supplier, _supplier),
    Spec(
        "Contact",
        Contact,
        _contact,
        children=(Child("Dynamic Link", "read"), Child("Contact Email", "read")),
    ),
    Spec(
        "Opportunity",
        Opportunity,
        _opportunity,
        children=(
            Child(
                "Opportunity Item", "rows", OpportunityItem, "opportunity", build=_opportunity_item
            ),
            Child("Opportunity Lost Reason Detail", "m2m", None, "lost_reasons", "lost_reason"),
            Child("Competitor Detail", "m2m", None, "competitors", "competitor"),
        ),
    ),
    Spec(
        "Quotation",
        Quotation,
        _quotation,
        children=(
            Child("Quotation Item", "rows", QuotationItem, "quotation", build=_transaction_item),
            Child("Quotation Lost Reason Detail", "m2m", None, "lost_reasons", "lost_reason"),
            Child("Competitor Detail", "m2m", None, "competitors", "competitor"),
        ),
    ),
    Spec(
        "Supplier Quotation",
        SupplierQuotation,
        _supplier_quotation,
        children=(
            Child(
                "Supplier Quotation Item",
                "rows",
                SupplierQuotationItem,
                "supplier_quotation",
                build=_transaction_item,
            ),
        ),
    ),
)
