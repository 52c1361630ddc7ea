"""Money is Decimal, rounded half-up to the currency's minor unit, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import overload

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def round_money(value: Decimal, precision: int) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


@overload
def money_str(value: Decimal, precision: int) -> str: ...
@overload
def money_str(value: None, precision: int) -> None: ...
@overload
def money_str(value: Decimal | None, precision: int) -> str | None: ...
def money_str(value: Decimal | None, precision: int) -> str | None:
    """The JSON form of an amount: a string with exactly the currency's decimals."""
    if value is None:
        return None
    return str(round_money(value, precision))
