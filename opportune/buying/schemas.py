"""JSON shapes of suppliers, supplier quotations and requests for quotation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from ninja import Schema
from pydantic import EmailStr, Field

from opportune.core.schemas import (
    DocumentOut,
    ItemIn,
    ItemLineOut,
    ItemOut,
    Resolver,
    RowId,
    StrictIn,
    TransactionFields,
    TransactionOut,
    VersionIn,
    rows_with_precision,
)
from opportune.masters.schemas import key_in, key_out, name_in

Name = Field(None, max_length=140)


# --- suppliers ---------------------------------------------------------------------------------
class SupplierFields(StrictIn):
    supplier_name: str | None = Name
    supplier_group: str | None = Name
    country: str | None = Field(None, max_length=100)
    default_currency: str | None = Field(None, max_length=3)
    email_id: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    website: str | None = Field(None, max_length=200)
    disabled: bool | None = None


class SupplierCreate(SupplierFields):
    supplier_name: str = Field(..., min_length=1, max_length=140)


class SupplierPatch(VersionIn, SupplierFields):
    pass


class SupplierOut(DocumentOut):
    supplier_name: str
    supplier_group: str | None = Field(None, alias="supplier_group_id")
    country: str
    default_currency: str | None = Field(None, alias="default_currency_id")
    email_id: str
    phone: str
    website: str
    disabled: bool


class SupplierGroupIn(StrictIn):
    name: str | None = name_in("supplier_group_name")
    supplier_group_name: str | None = key_in()


class SupplierGroupOut(Schema):
    name: str
    supplier_group_name: str = key_out()


# --- supplier quotations -----------------------------------------------------------------------
class SupplierQuotationItemOut(ItemOut):
    prevdoc_doctype: str
    prevdoc_docname: str
    request_for_quotation_item: int | None = Field(None, alias="request_for_quotation_item_id")


class SupplierQuotationFields(TransactionFields):
    supplier: str | None = Name
    opportunity: str | None = Name
    valid_till: date | None = None
    items: list[ItemIn] | None = Field(None, max_length=500)


class SupplierQuotationCreate(SupplierQuotationFields):
    supplier: str = Field(..., min_length=1, max_length=140)


class SupplierQuotationPatch(VersionIn, SupplierQuotationFields):
    pass


class SupplierQuotationOut(TransactionOut):
    supplier: str = Field(..., alias="supplier_id")
    supplier_name: str
    valid_till: date | None
    opportunity: str | None = Field(None, alias="opportunity_id")
    request_for_quotation: str | None = Field(None, alias="request_for_quotation_id")
    items: list[SupplierQuotationItemOut]

    resolve_items: ClassVar[Resolver] = staticmethod(rows_with_precision)


class SupplierIn(StrictIn):
    supplier: str = Field(..., min_length=1, max_length=140)


class SuppliersIn(StrictIn):
    suppliers: list[str] = Field(..., max_length=100)


# --- requests for quotation --------------------------------------------------------------------
class RfqItemIn(StrictIn):
    id: RowId | None = None
    item_code: str = Field(..., min_length=1, max_length=140)
    item_name: str | None = Field(None, max_length=140)
    description: str | None = None
    qty: Decimal | None = None
    uom: str | None = Field(None, max_length=60)


class RfqItemOut(ItemLineOut):
    id: int
    stock_uom: str = Field(..., alias="stock_uom_id")
    conversion_factor: Decimal
    opportunity: str | None = Field(None, alias="opportunity_id")
    opportunity_item: int | None


class RfqSupplierOut(Schema):
    supplier: str = Field(..., alias="supplier_id")
    supplier_name: str
    email_id: str
    quote_status: str


class RfqFields(StrictIn):
    transaction_date: date | None = None
    opportunity: str | None = Name
    message_for_supplier: str | None = None
    suppliers: list[str] | None = Field(None, max_length=100)
    items: list[RfqItemIn] | None = Field(None, max_length=500)


class RfqCreate(RfqFields):
    pass


class RfqPatch(VersionIn, RfqFields):
    pass


class RfqOut(DocumentOut):
    docstatus: int
    status: str
    transaction_date: date
    opportunity: str | None = Field(None, alias="opportunity_id")
    message_for_supplier: str
    suppliers: list[RfqSupplierOut]
    items: list[RfqItemOut]

    @staticmethod
    def resolve_suppliers(obj):
        return list(obj.suppliers.all())

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


# --- comparison --------------------------------------------------------------------------------
class ComparisonQuoteOut(Schema):
    supplier: str
    supplier_name: str
    supplier_quotation: str
    valid_till: date | None
    qty: Decimal
    currency: str
    rate: Decimal
    base_rate: Decimal
    is_cheapest: bool


class ComparisonItemOut(Schema):
    item_code: str
    item_name: str
    uom: str
    quotes: list[ComparisonQuoteOut]


class ComparisonOut(Schema):
    opportunity: str
    company_currency: str
    items: list[ComparisonItemOut]
