"""Schema pieces every document shares: audit columns, money formatting, usernames."""

from __future__ import annotations

import types
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, field_validator

from opportune.core.company import company_settings
from opportune.core.fields import reject_nul
from opportune.core.money import money_str

# What ``money``, ``username`` and ``names`` make; a schema declares it ``ClassVar[Resolver]``
# (ninja finds it by its ``resolve_`` name, and pydantic does not take it for a field).
Resolver = Callable[..., Any]
Precision = Callable[[Any, dict[str, Any] | None], int]


def reads(*paths: str) -> Callable[[Any], Any]:
    """Names what a resolver reads from the row, as ORM paths (``owner__username``): a list
    that answers only some columns loads only these (core/api_lists.py). A resolver that does
    not say makes its list load the whole row."""

    def mark(resolve: Any) -> Any:
        resolve.reads = paths
        return resolve

    return mark


def selects(**columns: Callable[[], Any]) -> Callable[[Any], Any]:
    """Names columns a resolver reads that are not the row's own: each alias with the function
    that makes its expression (a correlated subquery on the row's key, or None when there is
    nothing to read). A lean list (core/api_lists.py) selects them in its one query and sets
    them on each row under their alias; elsewhere the resolver reads them its own way."""

    def mark(resolve: Any) -> Any:
        resolve.selects = columns
        return resolve

    return mark


def money(field: str, precision: Precision) -> Resolver:
    """A resolver giving ``field`` as a string with the right number of decimals (API.md);
    ``precision(obj, context)`` says how many (the document's or the company's currency)."""

    @reads(field, *getattr(precision, "reads", ()))
    def resolve(obj: Any, context: dict[str, Any] | None = None) -> str | None:
        value: Decimal | None = getattr(obj, field)
        return money_str(value, precision(obj, context))

    # the company's precision: a lean read fetches it with its rows (core/api_lists.py)
    resolve.company = getattr(precision, "company", False)
    return staticmethod(resolve)


def username(field: str) -> Resolver:
    @reads(f"{field}__username")
    def resolve(obj: Any) -> str | None:
        user = getattr(obj, field)
        return user.username if user else None

    return staticmethod(resolve)


def names(field: str) -> Resolver:
    """A resolver giving a many-to-many ``field`` (masters, named by their key) as their names."""

    @reads()  # a many-to-many: prefetched when the list is asked to expand it
    def resolve(obj: Any) -> list[Any]:
        return [linked.pk for linked in getattr(obj, field).all()]

    return staticmethod(resolve)


class DocumentOut(Schema):
    name: str
    version: int
    creation: datetime
    modified: datetime
    owner: str | None
    modified_by: str | None

    resolve_owner: ClassVar[Resolver] = username("owner")
    resolve_modified_by: ClassVar[Resolver] = username("modified_by")


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


# The error answers every endpoint declares (so the OpenAPI document lists them): 413 is a body
# too large to read (core/api.py).
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}


# --- input -------------------------------------------------------------------------------------
class StrictIn(Schema):
    """Every request body: unknown fields are refused, NUL characters too."""

    model_config = ConfigDict(extra="forbid")

    _no_nul = field_validator("*", mode="before")(reject_nul)


# The version of the document the client read: an action's body, and the base of every change's
# (``class LeadPatch(VersionIn, LeadFields)``: the document's fields, then the version).
class VersionIn(StrictIn):
    version: int | None = Field(None, description="The version you read (or send If-Match)")


# --- money in the company currency -------------------------------------------------------------
@reads()
def company_precision(obj: Any, context: dict[str, Any] | None = None) -> int:
    """The company currency's minor unit, read once per request."""
    request = (context or {}).get("request")
    cached: int | None = getattr(request, "_company_precision", None)
    if cached is None:
        cached = company_settings().company_currency.precision
        if request is not None:
            request._company_precision = cached
    return cached


company_precision.company = True
COMPANY_PRECISION = "lean__company_precision"  # its column in a lean read (core/api_lists.py)


def remember_company_precision(request: Any, row: dict[str, Any]) -> None:
    """The company precision a lean read fetched with ``row`` (popped from it), kept for the
    request (None: no settings row yet, ``company_precision`` loads the settings)."""
    precision = row.pop(COMPANY_PRECISION, None)
    if precision is not None and request is not None:
        request._company_precision = precision


@reads("currency__precision")
def own_precision(obj: Any, context: dict[str, Any] | None = None) -> int:
    precision: int = obj.currency.precision
    return precision


def money_columns(precision: Precision, *fields: str) -> type[Schema]:
    """A base class without fields of its own, resolving each of ``fields`` with ``precision``
    (the document's currency) and its ``base_`` twin with the company currency's. Being made at
    run time, it is a base mypy cannot follow: the ``type: ignore[misc]`` where it is used."""
    resolvers = {}
    for field in fields:
        resolvers[f"resolve_{field}"] = money(field, precision)
        resolvers[f"resolve_base_{field}"] = money(f"base_{field}", company_precision)
    return types.new_class("MoneyColumns", (Schema,), exec_body=lambda ns: ns.update(resolvers))


# --- documents with item rows (core.items, core.transactions) ----------------------------------
def row_precision(obj: Any, context: dict[str, Any] | None = None) -> int:
    """Item rows carry their document's precision (set by the parent's resolver)."""
    precision: int = obj._precision
    return precision


@reads("currency__precision")  # and the rows, prefetched when the list expands them
def rows_with_precision(document: Any) -> list[Any]:
    rows = list(document.items.all())
    for row in rows:
        row._precision = document.currency.precision
    return rows


# --- items -------------------------------------------------------------------------------------
# An existing row's id: a positive database id (a bigger one would overflow the query: a 500).
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ItemIn(StrictIn):
    id: RowId | None = Field(None, description="An existing row's id, to keep its links")
    item_code: str = Field(..., min_length=1, max_length=140)
    item_name: str | None = Field(None, max_length=140)
    description: str | None = None
    qty: DecimalIn | None = None
    uom: str | None = Field(None, max_length=60)
    rate: DecimalIn | None = None


class ItemLineOut(Schema):
    """What every item row answers: the item, how many of it, in which unit."""

    idx: int
    item_code: str = Field(..., alias="item_code_id")
    item_name: str
    description: str
    qty: Decimal
    uom: str = Field(..., alias="uom_id")


_PRICES = ("rate", "amount")


class PricedLineOut(ItemLineOut, money_columns(row_precision, *_PRICES)):  # type: ignore[misc]
    """An item row with its price, in the document's currency and the company's; the parent's
    ``resolve_items`` is ``rows_with_precision`` (the rows carry the document's precision)."""

    rate: str
    amount: str
    base_rate: str
    base_amount: str


class ItemOut(PricedLineOut):
    """A transaction's item row (core.items): its id keeps its links across edits."""

    id: int
    stock_uom: str = Field(..., alias="stock_uom_id")


# --- shared header -----------------------------------------------------------------------------
class TransactionFields(StrictIn):
    transaction_date: date | None = None
    currency: str | None = Field(None, max_length=3)
    conversion_rate: DecimalIn | None = None
    tax_rate: DecimalIn | None = None
    terms: str | None = None


_TOTALS = ("total", "net_total", "total_taxes_and_charges", "grand_total")


class TransactionOut(DocumentOut, money_columns(own_precision, *_TOTALS)):  # type: ignore[misc]
    docstatus: int
    status: str
    transaction_date: date
    currency: str = Field(..., alias="currency_id")
    conversion_rate: Decimal
    tax_rate: Decimal
    total: str
    base_total: str
    net_total: str
    base_net_total: str
    total_taxes_and_charges: str
    base_total_taxes_and_charges: str
    grand_total: str
    base_grand_total: str
    terms: str


# --- timeline (core.timeline) -----------------------------------------------------------------
class TimelineEntryOut(Schema):
    kind: str
    at: datetime
    user: str | None
    summary: str
    data: dict[str, Any]
    door: str | None = None  # a recorded change's door: page, api, job, import, command, system
