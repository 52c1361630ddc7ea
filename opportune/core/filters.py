"""Building blocks for list filters shared by pages and the API (one definition per list)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import FilterSchema
from ninja.filter_schema import FilterLookup
from pydantic import BeforeValidator


def split_commas(value: Any) -> Any:
    """``"Open,Lost"`` or ``["Open", "Lost,Closed"]`` -> ``["Open", "Lost", "Closed"]``."""
    if value is None or value == "":
        return None
    items = value if isinstance(value, list | tuple) else [value]
    out = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    return out or None


CommaList = Annotated[list[str] | None, BeforeValidator(split_commas)]
IntList = Annotated[list[int] | None, BeforeValidator(split_commas)]


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
