"""Schema pieces every document shares: audit columns, money formatting, usernames."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field

from opportune.core.money import money_str


def money(field: str, precision: Callable[[Any, dict | None], int]):
    """A resolver giving ``field`` as a string with the right number of decimals (API.md);
    ``precision(obj, context)`` says how many (the document's or the company's currency)."""

    def resolve(obj, context=None):
        return money_str(getattr(obj, field), precision(obj, context))

    return staticmethod(resolve)


def username(field: str):
    def resolve(obj):
        user = getattr(obj, field)
        return user.username if user else None

    return staticmethod(resolve)


class DocumentOut(Schema):
    name: str
    version: int
    creation: datetime
    modified: datetime
    owner: str | None
    modified_by: str | None

    resolve_owner = username("owner")
    resolve_modified_by = username("modified_by")


def _number(value: Any) -> Any:
    """Accept numbers sent as JSON numbers or strings; reject booleans."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    return value


# A decimal sent as "1250.00" or 1250; floats are read through their text, never binary.
DecimalIn = Annotated[Decimal, BeforeValidator(_number), Field(allow_inf_nan=False)]


class _ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class ErrorOut(Schema):
    """``{"error": {"code", "message", "fields"}}``"""

    error: _ErrorBody


# The error answers every endpoint declares (so the OpenAPI document lists them).
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
