"""JSON shapes of the masters (API.md): what comes in and what goes out.

Masters are addressed by ``name`` (their primary key; currencies by their ISO code) and carry
no ``version``; currency exchanges are addressed by ``id``. Rates go out as decimal strings.

Each master also speaks ERPNext's name for its key (``item_code``, ``uom_name``,
``territory_name``...): a create may send it instead of ``name`` (or both, with the same value;
masters/services.py decides), and every answer carries it beside ``name``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from opportune.core.money import money_str
from opportune.core.schemas import DecimalIn, StrictIn


def stored_decimal(obj, field: str) -> str:
    """A decimal column as text with exactly the decimals it is stored with."""
    places = obj._meta.get_field(field).decimal_places
    return money_str(Decimal(getattr(obj, field)), places)


NAME = Field(..., min_length=1, max_length=140, description="The name, also its key")
TEXT = Field(None, max_length=140)


def name_in(key: str, max_length: int = 140) -> Any:
    """``name`` on create: required unless ERPNext's ``key`` field is sent instead."""
    return Field(
        None,
        min_length=1,
        max_length=max_length,
        description=f"The name, also its key (required unless {key} is sent)",
    )


def key_in(max_length: int = 140) -> Any:
    """ERPNext's key field on create: the name under ERPNext's field name."""
    return Field(
        None,
        min_length=1,
        max_length=max_length,
        description="ERPNext's name for the key: the same as name (send either, or both alike)",
    )


def key_out() -> Any:
    """ERPNext's key field in an answer: always the same as ``name``."""
    return Field(..., alias="name", description="ERPNext's name for the key: the same as name")


# --- customer group, industry, item group: only a name -----------------------------------------
class CustomerGroupOut(Schema):
    name: str
    customer_group_name: str = key_out()


class CustomerGroupCreate(StrictIn):
    name: str | None = name_in("customer_group_name")
    customer_group_name: str | None = key_in()


class IndustryOut(Schema):
    """ERPNext's Industry Type, keyed by its ``industry`` field."""

    name: str
    industry: str = key_out()


class IndustryCreate(StrictIn):
    name: str | None = name_in("industry")
    industry: str | None = key_in()


class ItemGroupOut(Schema):
    name: str
    item_group_name: str = key_out()


class ItemGroupCreate(StrictIn):
    name: str | None = name_in("item_group_name")
    item_group_name: str | None = key_in()


# --- currency ----------------------------------------------------------------------------------
class CurrencyOut(Schema):
    name: str = Field(..., description="ISO 4217 code")
    currency_name: str
    symbol: str
    precision: int
    enabled: bool


class CurrencyPatch(StrictIn):
    currency_name: str | None = Field(None, min_length=1, max_length=100)
    symbol: str | None = Field(None, max_length=10)
    precision: int | None = Field(None, ge=0, le=4, description="Decimals of the minor unit")
    enabled: bool | None = None


class CurrencyCreate(CurrencyPatch):
    name: str = Field(..., min_length=3, max_length=3, description="ISO 4217 code, e.g. EUR")
    currency_name: str = Field(..., min_length=1, max_length=100)


class CurrencyExchangeOut(Schema):
    id: int
    from_currency: str = Field(..., alias="from_currency_id")
    to_currency: str = Field(..., alias="to_currency_id")
    date: dt.date
    exchange_rate: str = Field(..., description="Value of one from_currency in to_currency")

    @staticmethod
    def resolve_exchange_rate(obj) -> str:
        return stored_decimal(obj, "exchange_rate")


class CurrencyExchangePatch(StrictIn):
    from_currency: str | None = Field(None, min_length=1, max_length=3)
    to_currency: str | None = Field(None, min_length=1, max_length=3)
    date: dt.date | None = None
    exchange_rate: DecimalIn | None = Field(None, gt=0)


class CurrencyExchangeCreate(CurrencyExchangePatch):
    from_currency: str = Field(..., min_length=1, max_length=3)
    to_currency: str = Field(..., min_length=1, max_length=3)
    date: dt.date
    exchange_rate: DecimalIn = Field(..., gt=0)


# --- UOM, item ---------------------------------------------------------------------------------
class UOMOut(Schema):
    name: str
    uom_name: str = key_out()
    must_be_whole_number: bool
    enabled: bool


class UOMPatch(StrictIn):
    must_be_whole_number: bool | None = None
    enabled: bool | None = None


class UOMCreate(UOMPatch):
    name: str | None = name_in("uom_name", max_length=60)
    uom_name: str | None = key_in(max_length=60)


class ItemOut(Schema):
    name: str = Field(..., description="The item code")
    item_code: str = key_out()
    item_name: str
    description: str
    item_group: str | None = Field(None, alias="item_group_id")
    brand: str
    stock_uom: str = Field(..., alias="stock_uom_id")
    standard_rate: str = Field(..., description="Decimal string, as stored (4 decimals)")
    is_sales_item: bool
    is_purchase_item: bool
    disabled: bool

    @staticmethod
    def resolve_standard_rate(obj) -> str:
        return stored_decimal(obj, "standard_rate")


class ItemPatch(StrictIn):
    item_name: str | None = Field(None, min_length=1, max_length=140)
    description: str | None = Field(None, max_length=20000)
    item_group: str | None = TEXT
    brand: str | None = TEXT
    stock_uom: str | None = Field(None, min_length=1, max_length=60)
    standard_rate: DecimalIn | None = Field(None, ge=0)
    is_sales_item: bool | None = None
    is_purchase_item: bool | None = None
    disabled: bool | None = None


class ItemCreate(ItemPatch):
    name: str | None = name_in("item_code")
    item_code: str | None = key_in()


# --- territory ---------------------------------------------------------------------------------
class TerritoryOut(Schema):
    name: str
    territory_name: str = key_out()
    parent_territory: str | None = Field(None, alias="parent_territory_id")


class TerritoryPatch(StrictIn):
    parent_territory: str | None = TEXT


class TerritoryCreate(TerritoryPatch):
    name: str | None = name_in("territory_name")
    territory_name: str | None = key_in()
