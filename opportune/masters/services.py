"""Lookups on the masters that several apps need (exchange rates, item details)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from opportune.masters.models import CurrencyExchange, Item

RATE_PLACES = Decimal("0.000000001")


def get_exchange_rate(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    """Value of one ``from_currency`` in ``to_currency`` on a day: the latest rate on or before
    that day, or the inverse of the reverse rate; ``None`` when neither is recorded."""
    if from_currency == to_currency:
        return Decimal(1)
    direct = (
        CurrencyExchange.objects.filter(
            from_currency=from_currency, to_currency=to_currency, date__lte=on_date
        )
        .order_by("-date")
        .values_list("exchange_rate", flat=True)
        .first()
    )
    if direct is not None:
        return direct
    reverse = (
        CurrencyExchange.objects.filter(
            from_currency=to_currency, to_currency=from_currency, date__lte=on_date
        )
        .order_by("-date")
        .values_list("exchange_rate", flat=True)
        .first()
    )
    if reverse is not None:
        return (Decimal(1) / reverse).quantize(RATE_PLACES)
    return None


def items_by_code(codes: set[str]) -> dict[str, Item]:
    """The items with these codes, in one query."""
    return {item.name: item for item in Item.objects.filter(name__in=codes)}
