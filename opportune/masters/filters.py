"""List filters of the masters: one definition used by the pages and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated

from django.db.models import Q, QuerySet
from ninja.filter_schema import FilterLookup
from pydantic import Field

from opportune.core.filters import CommaList, FilterSchema

Search = Callable[[QuerySet, str], QuerySet]
# A bound in a filter: finite and of sane size (NaN or 1e999999 is a 422, never a 500).
FiniteDecimal = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=30)]


def search_on(*fields: str) -> Search:
    """A text search over ``fields`` (case-insensitive substring on any of them)."""

    def search(queryset: QuerySet, text: str) -> QuerySet:
        text = text.strip()
        if not text:
            return queryset
        query = Q()
        for field in fields:
            query |= Q(**{f"{field}__icontains": text})
        return queryset.filter(query)

    return search


class NameFilters(FilterSchema):
    name: Annotated[CommaList, FilterLookup("name__in")] = None


class CurrencyFilters(NameFilters):
    enabled: Annotated[bool | None, FilterLookup("enabled")] = None


CURRENCY_ORDERINGS: Sequence[str] = ("name", "currency_name", "precision")


class CurrencyExchangeFilters(FilterSchema):
    from_currency: Annotated[CommaList, FilterLookup("from_currency_id__in")] = None
    to_currency: Annotated[CommaList, FilterLookup("to_currency_id__in")] = None
    date: Annotated[dt.date | None, FilterLookup("date")] = None
    date__gte: Annotated[dt.date | None, FilterLookup("date__gte")] = None
    date__lte: Annotated[dt.date | None, FilterLookup("date__lte")] = None


CURRENCY_EXCHANGE_ORDERINGS: Sequence[str] = ("date", "id", "exchange_rate")


class UOMFilters(NameFilters):
    enabled: Annotated[bool | None, FilterLookup("enabled")] = None
    must_be_whole_number: Annotated[bool | None, FilterLookup("must_be_whole_number")] = None


class ItemFilters(NameFilters):
    item_group: Annotated[CommaList, FilterLookup("item_group_id__in")] = None
    brand: Annotated[CommaList, FilterLookup("brand__in")] = None
    stock_uom: Annotated[CommaList, FilterLookup("stock_uom_id__in")] = None
    is_sales_item: Annotated[bool | None, FilterLookup("is_sales_item")] = None
    is_purchase_item: Annotated[bool | None, FilterLookup("is_purchase_item")] = None
    disabled: Annotated[bool | None, FilterLookup("disabled")] = None
    standard_rate__gte: Annotated[FiniteDecimal | None, FilterLookup("standard_rate__gte")] = None
    standard_rate__lte: Annotated[FiniteDecimal | None, FilterLookup("standard_rate__lte")] = None


ITEM_ORDERINGS: Sequence[str] = ("name", "item_name", "standard_rate")


class TerritoryFilters(NameFilters):
    parent_territory: Annotated[CommaList, FilterLookup("parent_territory_id__in")] = None


NAME_ORDERINGS: Sequence[str] = ("name",)
