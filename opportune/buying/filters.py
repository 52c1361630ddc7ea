"""List filters for the buying documents: one definition for the pages and the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from django.db.models import Q, QuerySet
from ninja.filter_schema import FilterLookup

from opportune.core.filters import CommaList, FilterSchema, TransactionFilters

SUPPLIER_ORDERINGS = ("modified", "creation", "name", "supplier_name")
SUPPLIER_QUOTATION_ORDERINGS = (
    "modified",
    "creation",
    "name",
    "transaction_date",
    "valid_till",
    "grand_total",
    "base_grand_total",
    "status",
)
SUPPLIER_QUOTATION_NULLABLE = frozenset({"valid_till"})
RFQ_ORDERINGS = ("modified", "creation", "name", "transaction_date", "status")


class SupplierFilters(FilterSchema):
    supplier_group: Annotated[CommaList, FilterLookup("supplier_group_id__in")] = None
    country: Annotated[CommaList, FilterLookup("country__in")] = None
    disabled: Annotated[bool | None, FilterLookup("disabled")] = None


class SupplierQuotationFilters(TransactionFilters):
    supplier: Annotated[CommaList, FilterLookup("supplier_id__in")] = None
    request_for_quotation: Annotated[CommaList, FilterLookup("request_for_quotation_id__in")] = None
    valid_till__gte: Annotated[date | None, FilterLookup("valid_till__gte")] = None
    valid_till__lte: Annotated[date | None, FilterLookup("valid_till__lte")] = None


class RfqFilters(FilterSchema):
    status: Annotated[CommaList, FilterLookup("status__in")] = None
    opportunity: Annotated[CommaList, FilterLookup("opportunity_id__in")] = None
    supplier: Annotated[CommaList, FilterLookup("suppliers__supplier_id__in")] = None
    transaction_date__gte: Annotated[date | None, FilterLookup("transaction_date__gte")] = None
    transaction_date__lte: Annotated[date | None, FilterLookup("transaction_date__lte")] = None


def search_suppliers(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(
        Q(name__icontains=text) | Q(supplier_name__icontains=text) | Q(email_id__icontains=text)
    )


def search_supplier_quotations(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(Q(name__icontains=text) | Q(supplier_name__icontains=text))


def search_rfqs(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(Q(name__icontains=text) | Q(message_for_supplier__icontains=text))
