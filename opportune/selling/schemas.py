"""JSON shapes of quotations and sales orders (API.md; ERPNext's field names)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import EmailStr, Field

from opportune.core.schemas import DecimalIn, DocumentOut, money
from opportune.crm.schemas import StrictIn, company_precision, own_precision

Name = Field(None, max_length=140)


def row_precision(obj, context=None) -> int:
    """Item rows carry their document's precision (set by the parent's resolver)."""
    return obj._precision


def rows_with_precision(document) -> list:
    rows = list(document.items.all())
    for row in rows:
        row._precision = document.currency.precision
    return rows


# --- items -------------------------------------------------------------------------------------
class ItemIn(StrictIn):
    id: int | None = Field(None, description="An existing row's id, to keep its links")
    item_code: str = Field(..., min_length=1, max_length=140)
    item_name: str | None = Field(None, max_length=140)
    description: str | None = None
    qty: DecimalIn | None = None
    uom: str | None = Field(None, max_length=60)
    rate: DecimalIn | None = None


class ItemOut(Schema):
    id: int
    idx: int
    item_code: str = Field(..., alias="item_code_id")
    item_name: str
    description: str
    qty: Decimal
    uom: str = Field(..., alias="uom_id")
    stock_uom: str = Field(..., alias="stock_uom_id")
    rate: str
    amount: str
    base_rate: str
    base_amount: str

    resolve_rate = money("rate", row_precision)
    resolve_amount = money("amount", row_precision)
    resolve_base_rate = money("base_rate", company_precision)
    resolve_base_amount = money("base_amount", company_precision)


class QuotationItemOut(ItemOut):
    prevdoc_doctype: str
    prevdoc_docname: str


class SalesOrderItemOut(ItemOut):
    quotation_item: int | None = Field(None, alias="quotation_item_id")
    prevdoc_docname: str


# --- shared header -----------------------------------------------------------------------------
class TransactionFields(StrictIn):
    transaction_date: date | None = None
    currency: str | None = Field(None, max_length=3)
    conversion_rate: DecimalIn | None = None
    tax_rate: DecimalIn | None = None
    terms: str | None = None


class TransactionOut(DocumentOut):
    docstatus: int
    status: str
    transaction_date: date
    currency: str = Field(..., alias="currency_id")
    conversion_rate: Decimal
    tax_rate: Decimal
    total: str
    base_total: str
    net_total: str
    base_net_total: str
    total_taxes_and_charges: str
    base_total_taxes_and_charges: str
    grand_total: str
    base_grand_total: str
    terms: str

    resolve_total = money("total", own_precision)
    resolve_net_total = money("net_total", own_precision)
    resolve_total_taxes_and_charges = money("total_taxes_and_charges", own_precision)
    resolve_grand_total = money("grand_total", own_precision)
    resolve_base_total = money("base_total", company_precision)
    resolve_base_net_total = money("base_net_total", company_precision)
    resolve_base_total_taxes_and_charges = money("base_total_taxes_and_charges", company_precision)
    resolve_base_grand_total = money("base_grand_total", company_precision)


# --- quotation ---------------------------------------------------------------------------------
class QuotationFields(TransactionFields):
    quotation_to: Literal["Lead", "Customer"] | None = None
    party_name: str | None = Name
    title: str | None = Name
    opportunity: str | None = Name
    valid_till: date | None = None
    contact_person: str | None = Name
    contact_email: EmailStr | None = None
    contact_mobile: str | None = Field(None, max_length=40)
    territory: str | None = Name
    customer_group: str | None = Name
    source: str | None = Name
    campaign: str | None = Name
    items: list[ItemIn] | None = Field(None, max_length=500)


class QuotationCreate(QuotationFields):
    quotation_to: Literal["Lead", "Customer"]
    party_name: str = Field(..., min_length=1, max_length=140)


class QuotationPatch(QuotationFields):
    version: int | None = Field(None, description="The version you read (or send If-Match)")


class QuotationOut(TransactionOut):
    quotation_to: str
    party_name: str
    customer_name: str
    title: str
    opportunity: str | None = Field(None, alias="opportunity_id")
    valid_till: date | None
    contact_person: str | None = Field(None, alias="contact_person_id")
    contact_display: str
    contact_email: str
    contact_mobile: str
    territory: str | None = Field(None, alias="territory_id")
    customer_group: str | None = Field(None, alias="customer_group_id")
    source: str | None = Field(None, alias="source_id")
    campaign: str | None = Field(None, alias="campaign_id")
    items: list[QuotationItemOut]
    lost_reasons: list[str]
    competitors: list[str]
    order_lost_reason: str

    @staticmethod
    def resolve_items(obj):
        return rows_with_precision(obj)

    @staticmethod
    def resolve_lost_reasons(obj):
        return [r.pk for r in obj.lost_reasons.all()]

    @staticmethod
    def resolve_competitors(obj):
        return [c.pk for c in obj.competitors.all()]


# --- sales order -------------------------------------------------------------------------------
class SalesOrderFields(TransactionFields):
    customer: str | None = Name
    delivery_date: date | None = None
    contact_person: str | None = Name
    contact_email: EmailStr | None = None
    territory: str | None = Name
    customer_group: str | None = Name
    source: str | None = Name
    campaign: str | None = Name
    items: list[ItemIn] | None = Field(None, max_length=500)


class SalesOrderCreate(SalesOrderFields):
    customer: str = Field(..., min_length=1, max_length=140)


class SalesOrderPatch(SalesOrderFields):
    version: int | None = Field(None, description="The version you read (or send If-Match)")


class SalesOrderOut(TransactionOut):
    customer: str = Field(..., alias="customer_id")
    customer_name: str
    delivery_date: date | None
    quotation: str | None = Field(None, alias="quotation_id")
    opportunity: str | None = Field(None, alias="opportunity_id")
    contact_person: str | None = Field(None, alias="contact_person_id")
    contact_email: str
    territory: str | None = Field(None, alias="territory_id")
    customer_group: str | None = Field(None, alias="customer_group_id")
    source: str | None = Field(None, alias="source_id")
    campaign: str | None = Field(None, alias="campaign_id")
    items: list[SalesOrderItemOut]

    @staticmethod
    def resolve_items(obj):
        return rows_with_precision(obj)
