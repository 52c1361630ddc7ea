"""ERPNext's values as Opportune's: dates, datetimes written in the site's time zone, numbers
(JSON floats or CSV text), checks (0/1), names (a "/" cannot be part of a page's address)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


class Skip(Exception):
    """The record cannot come over: ``reason`` (what the report groups by), ``detail``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def local_name(value: Any) -> str:
    """The name a record has here: ERPNext's, with "/" as "-" (a name is a path segment)."""
    return text(value).replace("/", "-")


def link(value: Any) -> str | None:
    name = local_name(value)
    return name or None


def check(value: Any) -> bool:
    return text(value) not in ("", "0", "0.0", "False", "false", "No")


def number(value: Any, field: str, default: Decimal = Decimal(0)) -> Decimal:
    if value in (None, ""):
        return default
    try:
        result = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise Skip(f"{field} is not a number", repr(value)) from None
    if not result.is_finite():
        raise Skip(f"{field} is not a number", repr(value))
    return result


def day(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(text(value)[:10])
    except ValueError:
        raise Skip(f"{field} is not a date", repr(value)) from None


def moment(value: Any, zone: ZoneInfo, field: str) -> datetime | None:
    """ERPNext writes datetimes without a zone, in the site's time zone."""
    if value in (None, ""):
        return None
    try:
        naive = datetime.fromisoformat(text(value))
    except ValueError:
        raise Skip(f"{field} is not a date and time", repr(value)) from None
    return naive.replace(tzinfo=zone) if naive.tzinfo is None else naive


def email(value: Any) -> tuple[str, bool]:
    """The address, or "" and False when it is not one."""
    address = text(value)
    if not address:
        return "", True
    try:
        validate_email(address)
    except ValidationError:
        return "", False
    return address, True
