"""JSON shapes of quotations and sales orders (API.md; ERPNext's field names)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import EmailStr, Field

from opportune.core.schemas import (
    ItemIn,
    ItemOut,
    Resolver,
    TransactionFields,
    TransactionOut,
    VersionIn,
    names,
    rows_with_precision,
)

Name = Field(None, max_length=140)


class QuotationItemOut(ItemOut):
    prevdoc_doctype: str
    prevdoc_docname: str


class SalesOrderItemOut(ItemOut):
    quotation_item: int | None = Field(None, alias="quotation_item_id")
    prevdoc_docname: str


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


class QuotationPatch(VersionIn, QuotationFields):
    pass


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

    resolve_items: ClassVar[Resolver] = staticmethod(rows_with_precision)
    resolve_lost_reasons: ClassVar[Resolver] = names("lost_reasons")
    resolve_competitors: ClassVar[Resolver] = names("competitors")


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


class SalesOrderPatch(VersionIn, SalesOrderFields):
    pass


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

    resolve_items: ClassVar[Resolver] = staticmethod(rows_with_precision)
