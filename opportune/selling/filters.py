"""List filters for quotations and sales orders: one definition for the pages and the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from django.db.models import Q, QuerySet
from ninja.filter_schema import FilterLookup

from opportune.core.filters import CommaList, TransactionFilters

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
