"""List filters for quotations and sales orders: one definition for the pages and the API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.db.models import Q, QuerySet
from ninja import FilterSchema
from ninja.filter_schema import FilterLookup
from pydantic import BeforeValidator

from opportune.core.filters import CommaList, split_commas

IntList = Annotated[list[int] | None, BeforeValidator(split_commas)]

QUOTATION_ORDERINGS = (
    "modified",
    "creation",
    "name",
    "transaction_date",
    "valid_till",
    "grand_total",
    "base_grand_total",
    "status",
)
QUOTATION_NULLABLE = frozenset({"valid_till"})
SALES_ORDER_ORDERINGS = (
    "modified",
    "creation",
    "name",
    "transaction_date",
    "delivery_date",
    "grand_total",
    "base_grand_total",
    "status",
)
SALES_ORDER_NULLABLE = frozenset({"delivery_date"})


class TransactionFilters(FilterSchema):
    status: Annotated[CommaList, FilterLookup("status__in")] = None
    docstatus: Annotated[IntList, FilterLookup("docstatus__in")] = None
    currency: Annotated[CommaList, FilterLookup("currency_id__in")] = None
    opportunity: Annotated[CommaList, FilterLookup("opportunity_id__in")] = None
    transaction_date__gte: Annotated[date | None, FilterLookup("transaction_date__gte")] = None
    transaction_date__lte: Annotated[date | None, FilterLookup("transaction_date__lte")] = None
    grand_total__gte: Annotated[Decimal | None, FilterLookup("grand_total__gte")] = None
    grand_total__lte: Annotated[Decimal | None, FilterLookup("grand_total__lte")] = None
    base_grand_total__gte: Annotated[Decimal | None, FilterLookup("base_grand_total__gte")] = None
    base_grand_total__lte: Annotated[Decimal | None, FilterLookup("base_grand_total__lte")] = None
    modified__gte: Annotated[datetime | None, FilterLookup("modified__gte")] = None
    modified__lte: Annotated[datetime | None, FilterLookup("modified__lte")] = None


class QuotationFilters(TransactionFilters):
    quotation_to: Annotated[CommaList, FilterLookup("quotation_to__in")] = None
    party_name: Annotated[CommaList, FilterLookup("party_name__in")] = None
    territory: Annotated[CommaList, FilterLookup("territory_id__in")] = None
    valid_till__gte: Annotated[date | None, FilterLookup("valid_till__gte")] = None
    valid_till__lte: Annotated[date | None, FilterLookup("valid_till__lte")] = None


class SalesOrderFilters(TransactionFilters):
    customer: Annotated[CommaList, FilterLookup("customer_id__in")] = None
    quotation: Annotated[CommaList, FilterLookup("quotation_id__in")] = None
    territory: Annotated[CommaList, FilterLookup("territory_id__in")] = None


def search_quotations(queryset: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(name__icontains=text)
        | Q(customer_name__icontains=text)
        | Q(party_name__icontains=text)
        | Q(title__icontains=text)
    )


def search_sales_orders(queryset: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(Q(name__icontains=text) | Q(customer_name__icontains=text))
