"""One engine for documents with item rows: the opportunity, quotation, sales order, supplier
quotation and request for quotation all validate their rows, find their exchange rate and
price their rows here, with the same limits and the same messages.

``ItemsDraft`` is one validation pass over a document and its rows, collecting every problem by
field (``items[1].qty``: the index of the row in the input, from 0; messages count rows from 1)
so the caller raises once and writes nothing. Subclasses add their header rules (party,
validity, the opportunity's amount) through ``header``, ``header_totals`` and ``checks``.

The masters it reads (items, UOMs, currencies, exchange rates) belong to an app above core,
which registers a ``Catalog`` at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from django.db import models
from django.utils import timezone

from opportune.core.company import CompanySettings, company_settings
from opportune.core.documents import save_document
from opportune.core.errors import FieldErrors, ValidationError
from opportune.core.fields import (
    Link,
    UserLink,
    apply_fields,
    parse_decimal,
    validate_model_fields,
)
from opportune.core.money import ZERO, round_money

if TYPE_CHECKING:
    from opportune.core.models import Document
    from opportune.core.users import User

MAX_QTY = Decimal(10) ** 9
MAX_RATE = Decimal(10) ** 12
MAX_AMOUNT = Decimal(10) ** 15
MAX_CONVERSION_RATE = Decimal(10) ** 9
QTY_PLACES = Decimal("0.000001")
HUNDRED = Decimal(100)
# What an input row may carry: ``id`` names an existing row (to keep its links); ``name``,
# ``idx`` and ``amount`` come back from a read and are ignored.
ROW_INPUT = frozenset({"id", "item_code", "item_name", "description", "qty", "uom", "rate"})
ROW_IGNORED = frozenset({"name", "idx", "amount"})


# --- the masters the engine reads ----------------------------------------------------------------
class ItemLike(Protocol):
    name: str
    item_name: str
    description: str
    disabled: bool
    standard_rate: Decimal
    stock_uom_id: str


class UomLike(Protocol):
    pk: Any
    enabled: bool
    must_be_whole_number: bool


class Catalog(Protocol):
    def items_by_code(self, codes: set[str]) -> Mapping[str, Any]: ...

    def uoms_by_name(self, names: set[str]) -> Mapping[str, Any]: ...

    def currency_precision(self, currency: str) -> int | None: ...

    def exchange_rate(self, from_currency: str, to_currency: str, on: date) -> Decimal | None: ...

    def currency_codes(self) -> list[str]: ...


_catalog: Catalog | None = None


def register_catalog(catalog: Catalog) -> None:
    global _catalog
    _catalog = catalog


def get_catalog() -> Catalog:
    if _catalog is None:  # pragma: no cover - the masters app registers it in ready()
        raise RuntimeError("No item catalog is registered (is the masters app installed?).")
    return _catalog


class BatchCatalog:
    """The item engine's catalog for a batch: the items and UOMs every row names read in one
    query each, a currency's precision and an exchange rate asked once."""

    def __init__(self, catalog: Catalog, rows: Sequence[Mapping[str, Any]]) -> None:
        self.catalog = catalog
        codes: set[str] = set()
        uoms: set[str] = set()
        for data in rows:
            for row in data.get("items") or []:
                if isinstance(row, Mapping):
                    code, uom = row.get("item_code"), row.get("uom")
                    if isinstance(code, str) and code:
                        codes.add(code)
                    if isinstance(uom, str) and uom:
                        uoms.add(uom)
        self.items = dict(catalog.items_by_code(codes)) if codes else {}
        uoms |= {item.stock_uom_id for item in self.items.values()}
        self.uoms = dict(catalog.uoms_by_name(uoms)) if uoms else {}
        self.precisions: dict[str, int | None] = {}
        self.rates: dict[tuple[str, str, Any], Decimal | None] = {}

    def items_by_code(self, codes: set[str]) -> Mapping[str, Any]:
        return {code: self.items[code] for code in codes if code in self.items}

    def uoms_by_name(self, names: set[str]) -> Mapping[str, Any]:
        return {name: self.uoms[name] for name in names if name in self.uoms}

    def currency_precision(self, currency: str) -> int | None:
        if currency not in self.precisions:
            self.precisions[currency] = self.catalog.currency_precision(currency)
        return self.precisions[currency]

    def exchange_rate(self, from_currency: str, to_currency: str, on: Any) -> Decimal | None:
        key = (from_currency, to_currency, on)
        if key not in self.rates:
            self.rates[key] = self.catalog.exchange_rate(from_currency, to_currency, on)
        return self.rates[key]

    def currency_codes(self) -> list[str]:
        return self.catalog.currency_codes()


# --- the pass ----------------------------------------------------------------------------------
class ItemsDraft:
    """One validation pass over a document with item rows, its currency and its totals."""

    model: ClassVar[type[Document]]  # the document
    spec: ClassVar[Mapping[str, Link | UserLink | None]] = {}
    writable: ClassVar[frozenset[str]] = frozenset()  # every input field (spec, items, ...)
    item_model: ClassVar[type[models.Model]]
    parent_field: ClassVar[str]
    # Row attributes carried over when an input row names an existing row by ``id``.
    kept_on_rows: ClassVar[tuple[str, ...]] = ()
    with_rates: ClassVar[bool] = True
    # A priced document in a foreign currency whose rate is 1 looks its rate up again
    # (the opportunity: 1 is what a form that was never looked up carries).
    refetch_rate_of_one: ClassVar[bool] = False
    exclude_from_model_checks: ClassVar[set[str]] = set()
    # The item flag a row's item must have ("is_sales_item" on what is sold, "is_purchase_item"
    # on what is bought, as ERPNext's selling and buying controllers check), or None.
    item_flag: ClassVar[str | None] = None
    # The input fields a change must name for the rows and totals to be priced again (with the
    # currency and rate as ``currency()`` leaves them); None: priced on every save. A change of
    # nothing priced reads no rows and recomputes nothing (issue 12, "cheap writes").
    priced_by: ClassVar[frozenset[str] | None] = None

    def __init__(
        self,
        document: Any,  # the document model instance (any doctype with item rows)
        data: Mapping[str, Any],
        *,
        creating: bool,
        settings: CompanySettings | None = None,
    ) -> None:
        self.doc = document
        self.data = data
        self.creating = creating
        self.settings = settings if settings is not None else company_settings()
        self.catalog = get_catalog()
        self.errors = FieldErrors()
        self.before_currency = None if creating else getattr(document, "currency_id", None)
        self.before_rate = None if creating else getattr(document, "conversion_rate", None)
        self._old_rows: list[Any] | None = [] if creating else None
        self.old_prices: list[tuple[Any, ...]] = []
        self.new_rows: list[Any] | None = None
        self.currency_precision: int | None = None  # as read by ``totals``
        self.priced = True  # whether this save prices the rows and totals again

    @property
    def old_rows(self) -> list[Any]:
        """The rows as stored, read when first needed (a change of nothing priced never)."""
        if self._old_rows is None:
            self._old_rows = list(self.doc.items.all())
            self.old_prices = [_prices(row) for row in self._old_rows] if self.with_rates else []
        return self._old_rows

    @property
    def old_rows_read(self) -> bool:
        return self._old_rows is not None

    def apply(self) -> None:
        changed = apply_fields(self.doc, self.data, self.spec, self.errors)
        self.header(changed)
        if self.with_rates:
            self.currency()
        self.items()
        self.priced = (
            self.priced_by is None
            or self.creating
            or bool(self.priced_by & set(self.data))
            or getattr(self.doc, "currency_id", None) != self.before_currency
            or getattr(self.doc, "conversion_rate", None) != self.before_rate
        )
        if self.with_rates and not self.errors and self.priced:
            with localcontext(prec=60):  # wide enough for any product of bounded inputs
                self.totals()
        self.checks(changed)
        validate_model_fields(self.doc, self.errors, exclude=self.exclude_from_model_checks)
        self.errors.raise_if_any()

    # --- hooks -----------------------------------------------------------------------------
    def header(self, changed: set[str]) -> None:
        """Party and other header rules."""

    def checks(self, changed: set[str]) -> None:
        """Cross-field checks, after the totals."""

    def default_currency(self) -> str:
        return self.settings.company_currency_id

    def check_not_before_date(self, field: str, message: str) -> None:
        """A date of the document (valid till, delivery) may not fall before its own date."""
        value, start = getattr(self.doc, field), self.doc.transaction_date
        if isinstance(value, date) and isinstance(start, date) and value < start:
            self.errors.add(field, message)

    def keep_conversion_rate(self) -> bool:
        """Whether a rate already set (e.g. carried from the opportunity) may stand when none is
        recorded."""
        return False

    def default_rate(self, item: ItemLike) -> Decimal:
        """The rate of a row that names none: the item's standard (selling) rate."""
        return item.standard_rate

    def row_fields(self, item: ItemLike) -> dict[str, Any]:
        """Fields of a new row taken from its item, beyond the ones every row has."""
        return {"stock_uom_id": item.stock_uom_id}

    def header_totals(self, precision: int, company_precision: int) -> None:
        """The document's own totals once the rows are priced (taxes, the opportunity amount)."""

    def link_row(self, row: Any) -> None:
        """Set the row's links derived from the header."""

    def rows_changed(self, old: list[Any], new: list[Any], *, by: User | None) -> None:
        """Called after the rows were replaced on an existing document."""

    # --- currency ----------------------------------------------------------------------------
    def currency(self) -> None:
        doc, errors = self.doc, self.errors
        if not doc.currency_id:
            doc.currency_id = self.default_currency()
        company = self.settings.company_currency_id
        given = self.data.get("conversion_rate")
        rate = None
        if given is not None:  # checked also where it is then 1: bad input is never ignored
            rate = parse_decimal("conversion_rate", given, errors)
            if rate is not None and rate <= 0:
                errors.add("conversion_rate", "Conversion rate must be greater than 0.")
                rate = None
            elif rate is not None and rate >= MAX_CONVERSION_RATE:
                errors.add(
                    "conversion_rate",
                    f"Conversion rate must be less than {MAX_CONVERSION_RATE:,}.",
                )
                rate = None
        if doc.currency_id == company:
            doc.conversion_rate = Decimal(1)
            return
        if given is not None:
            if rate is not None:
                doc.conversion_rate = rate
            return
        stale = self.refetch_rate_of_one and doc.conversion_rate in (None, Decimal(1))
        if self.creating or doc.currency_id != self.before_currency or stale:
            on_date = doc.transaction_date if isinstance(doc.transaction_date, date) else None
            rate = self.catalog.exchange_rate(
                doc.currency_id, company, on_date or timezone.localdate()
            )
            if rate is not None:
                doc.conversion_rate = rate
            elif not self.keep_conversion_rate():
                errors.add(
                    "conversion_rate",
                    f"No exchange rate from {doc.currency_id} to {company} on or before "
                    f"{on_date}: enter the conversion rate, or record the rate under Currency "
                    "Exchange.",
                )

    # --- items -------------------------------------------------------------------------------
    def items(self) -> None:
        if "items" not in self.data:
            return
        rows = self.data["items"] or []
        if not isinstance(rows, list | tuple):
            self.errors.add("items", "Items must be a list.")
            return
        dicts = [r for r in rows if isinstance(r, Mapping)]
        codes = {code for r in dicts if isinstance(code := r.get("item_code"), str) and code}
        items = self.catalog.items_by_code(codes)
        wanted = {r.get("uom") for r in dicts} | {i.stock_uom_id for i in items.values()}
        uoms = _stock_uoms_read(items.values())
        rest = {u for u in wanted if isinstance(u, str) and u and u not in uoms}
        if rest:  # units other than the items' own (read with them when the catalog could)
            uoms.update(self.catalog.uoms_by_name(rest))
        old = {row.pk: row for row in self.old_rows}
        self.new_rows = []
        for idx, row in enumerate(rows, start=1):
            built = self.item_row(idx, row, items, uoms, old)
            if built is not None:
                self.new_rows.append(built)

    def item_row(
        self,
        idx: int,
        row: Any,
        items: Mapping[str, Any],
        uoms: Mapping[str, Any],
        old: Mapping[Any, Any],
    ) -> Any:
        prefix, errors = f"items[{idx - 1}]", self.errors
        if not isinstance(row, Mapping):
            errors.add(prefix, "Each item must be an object.")
            return None
        allowed = ROW_INPUT if self.with_rates else ROW_INPUT - {"rate"}
        for unknown in sorted(set(row) - allowed - ROW_IGNORED):
            errors.add(f"{prefix}.{unknown}", "This field is not known or cannot be written.")
        code = row.get("item_code")
        item = items.get(code) if isinstance(code, str) else None
        if item is None:
            errors.add(
                f"{prefix}.item_code",
                f"Item '{code}' does not exist." if code else "Choose an item.",
            )
            return None
        if item.disabled:
            errors.add(f"{prefix}.item_code", f"Item '{code}' is disabled.")
        elif self.item_flag and not getattr(item, self.item_flag):
            kind = self.item_flag.removeprefix("is_").removesuffix("_item")
            errors.add(f"{prefix}.item_code", f"Item '{code}' is not a {kind} item.")
        given_qty = row.get("qty")
        qty = parse_decimal(f"{prefix}.qty", 1 if given_qty is None else given_qty, errors)
        uom = row.get("uom") or item.stock_uom_id
        if uom not in uoms:
            errors.add(f"{prefix}.uom", f"UOM '{uom}' does not exist.")
        elif not uoms[uom].enabled:
            errors.add(f"{prefix}.uom", f"UOM '{uom}' is disabled.")
        if qty is not None:
            self.check_qty(prefix, idx, qty, uoms.get(uom))
        built: Any = self.item_model(
            idx=idx,
            item_code=item,
            item_name=(row.get("item_name") or item.item_name)[:140],
            description=row.get("description") or item.description,
            qty=(qty if qty is not None and 0 < qty < MAX_QTY else Decimal(1)).quantize(QTY_PLACES),
            uom_id=uom,
            **self.row_fields(item),
        )
        if self.with_rates:
            built.rate = self.row_rate(prefix, row.get("rate"), item)
        previous = old.get(row.get("id"))
        if previous is not None:
            for attr in self.kept_on_rows:
                setattr(built, attr, getattr(previous, attr))
        return built

    def row_rate(self, prefix: str, given: Any, item: ItemLike) -> Decimal:
        rate = (
            self.default_rate(item)
            if given is None
            else parse_decimal(f"{prefix}.rate", given, self.errors)
        )
        if rate is not None and rate < 0:
            self.errors.add(f"{prefix}.rate", "Rate cannot be negative.")
        elif rate is not None and rate >= MAX_RATE:
            self.errors.add(f"{prefix}.rate", f"Rate must be less than {MAX_RATE:,}.")
        else:
            return rate if rate is not None else ZERO
        return ZERO

    def check_qty(self, prefix: str, idx: int, qty: Decimal, uom: UomLike | None) -> None:
        if qty <= 0:
            self.errors.add(f"{prefix}.qty", "Quantity must be greater than 0.")
        elif qty >= MAX_QTY:
            self.errors.add(f"{prefix}.qty", f"Quantity must be less than {MAX_QTY:,}.")
        elif uom is not None and uom.must_be_whole_number and qty != qty.to_integral_value():
            self.errors.add(
                f"{prefix}.qty",
                f"Quantity ({qty}) cannot be a fraction in row {idx}: {uom.pk} is counted in "
                "whole numbers.",
            )

    @property
    def rows(self) -> list[Any]:
        return self.new_rows if self.new_rows is not None else self.old_rows

    # --- totals ------------------------------------------------------------------------------
    def totals(self) -> None:
        """Each row's amount in the document's currency, rounded to its minor unit, and its
        base_ values at the document's rate in the company currency; then the header's."""
        doc = self.doc
        precision = self.catalog.currency_precision(doc.currency_id)
        # the currency as read, for the answer to a create (``written``)
        self.currency_precision = precision
        precision = 2 if precision is None else precision
        company_precision = self.settings.company_currency.precision
        rate = doc.conversion_rate or Decimal(1)
        total = base_total = top_base_rate = ZERO
        for row in self.rows:
            row.rate = round_money(row.rate, precision)
            row.amount = round_money(row.qty * row.rate, precision)
            row.base_rate = round_money(row.rate * rate, company_precision)
            row.base_amount = round_money(row.amount * rate, company_precision)
            total += row.amount
            base_total += row.base_amount
            top_base_rate = max(top_base_rate, row.base_rate)
        doc.total, doc.base_total = total, base_total
        if max(total, base_total, top_base_rate) >= MAX_AMOUNT:
            self.errors.add("items", f"The items' total must stay below {MAX_AMOUNT:,}.")
            return
        self.header_totals(precision, company_precision)

    # --- writing -----------------------------------------------------------------------------
    def save(self, *, by: User | None) -> None:
        """Write the document and its rows (the caller holds the transaction). An existing
        document writes only the fields that changed, and nothing (no history line either)
        when none did."""
        save_document(self.doc, by=by, rows=self.row_changes())
        self.save_rows(by=by)
        if self.creating:
            self.doc.__dict__[_WRITTEN] = self.written()

    def row_changes(self) -> list[dict[str, Any]]:
        """How the rows of an existing document change with this save, field by field (old
        and new values), for its history: ``items[0].qty``, or ``items[2]`` for a row added
        or removed."""
        if self.creating:
            return []
        if self.new_rows is None:
            if not self.with_rates or not self.old_rows_read:  # not priced again: unchanged
                return []
            return [
                {
                    "field": f"items[{i}].{name}",
                    "old": _plain(before, self.item_model._meta.get_field(name)),
                    "new": _plain(after, self.item_model._meta.get_field(name)),
                }
                for i, (row, old) in enumerate(zip(self.old_rows, self.old_prices, strict=True))
                for name, before, after in zip(PRICE_FIELDS, old, _prices(row), strict=True)
                if before != after
            ]
        for row in self.new_rows:  # links from the header, as save_rows sets them
            setattr(row, self.parent_field, self.doc)
            self.link_row(row)
        skip = {"id", "idx", self.parent_field}
        fields = [f for f in self.item_model._meta.concrete_fields if f.name not in skip]
        changes: list[dict[str, Any]] = []
        for i in range(max(len(self.old_rows), len(self.new_rows))):
            old = self.old_rows[i] if i < len(self.old_rows) else None
            new = self.new_rows[i] if i < len(self.new_rows) else None
            if old is None or new is None:
                changes.append(
                    {"field": f"items[{i}]", "old": _row_line(old), "new": _row_line(new)}
                )
                continue
            for f in fields:
                before, after = getattr(old, f.attname), getattr(new, f.attname)
                if before != after:
                    changes.append(
                        {
                            "field": f"items[{i}].{f.name}",
                            "old": _plain(before, f),
                            "new": _plain(after, f),
                        }
                    )
        return changes

    def save_rows(self, *, by: User | None) -> None:
        if self.new_rows is None:
            if not self.with_rates or not self.old_rows_read:
                return
            moved = [
                r
                for r, old in zip(self.old_rows, self.old_prices, strict=True)
                if _prices(r) != old
            ]
            if moved:  # rates and base_ values follow a new currency or conversion rate
                self.item_model._default_manager.bulk_update(moved, list(PRICE_FIELDS))
            return
        if not self.creating:
            self.doc.items.all().delete()
        for row in self.new_rows:
            setattr(row, self.parent_field, self.doc)
            self.link_row(row)
        self.item_model._default_manager.bulk_create(self.new_rows)
        if not self.creating:
            self.rows_changed(self.old_rows, self.new_rows, by=by)

    def written(self) -> Written | None:
        """What a create wrote beside the document, for its answer (core/api_documents.py):
        the rows inserted and the precision of the currency read; None when not known (rows
        not priced in this pass, the currency not read)."""
        precision = self.currency_precision
        if not self.creating or precision is None:
            return None
        return Written(rows=list(self.new_rows or []), currency_precision=precision)


_WRITTEN = "_items_written"


def written_of(document: Any) -> Written | None:
    """What ``ItemsDraft.save`` wrote when it created ``document`` (None otherwise)."""
    written: Written | None = document.__dict__.get(_WRITTEN)
    return written


@dataclass(frozen=True)
class Written:
    """A new priced document's rows as inserted, and its currency's precision as read."""

    rows: list[Any]
    currency_precision: int


PRICE_FIELDS = ("rate", "amount", "base_rate", "base_amount")


def _stock_uoms_read(items: Iterable[Any]) -> dict[str, Any]:
    """The stock units the catalog read with its items (``select_related``), by name."""
    found: dict[str, Any] = {}
    for item in items:
        state = getattr(item, "_state", None)
        uom = state.fields_cache.get("stock_uom") if state is not None else None
        if uom is not None:
            found[uom.pk] = uom
    return found


def _plain(value: Any, field: Any = None) -> Any:
    """A value as the history shows it: decimals with their column's places (as stored)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    places = getattr(field, "decimal_places", None)
    if isinstance(value, Decimal) and places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    return str(value)


def _row_line(row: Any) -> str | None:
    """A row in one line ("WIDGET x 2 Nos at 10"), for a row added or removed."""
    if row is None:
        return None
    line = f"{row.item_code_id} x {row.qty.normalize():f} {row.uom_id}"
    rate = getattr(row, "rate", None)
    return f"{line} at {rate.normalize():f}" if rate is not None else line


def _prices(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in PRICE_FIELDS)


class TransactionDraft(ItemsDraft):
    """A priced, submittable document: one tax rate and ERPNext's totals in both currencies."""

    def currency(self) -> None:
        if self.data.get("tax_rate") is not None:
            rate = parse_decimal("tax_rate", self.data["tax_rate"], self.errors)
            if rate is not None and not (ZERO <= rate <= HUNDRED):
                self.errors.add("tax_rate", "The tax rate must be between 0 and 100 (%).")
            elif rate is not None:
                self.doc.tax_rate = rate
        super().currency()

    def header_totals(self, precision: int, company_precision: int) -> None:
        doc = self.doc
        rate = doc.conversion_rate or Decimal(1)
        doc.net_total, doc.base_net_total = doc.total, doc.base_total
        taxes = round_money(doc.total * (doc.tax_rate or ZERO) / HUNDRED, precision)
        doc.total_taxes_and_charges = taxes
        doc.base_total_taxes_and_charges = round_money(taxes * rate, company_precision)
        doc.grand_total = doc.total + taxes
        doc.base_grand_total = round_money(doc.grand_total * rate, company_precision)
        if max(doc.grand_total, doc.base_grand_total) >= MAX_AMOUNT:
            self.errors.add("items", f"The grand total must stay below {MAX_AMOUNT:,}.")


def require_items(document: Any) -> None:
    if not document.items.exists():
        raise ValidationError.for_field(
            "items", f"Add at least one item before submitting the {document.doctype}."
        )


def describe_row_changes(old: Sequence[Any], new: Sequence[Any]) -> str | None:
    """A line for the timeline when a document's rows changed ("Items changed: removed ...,
    added ..."), or None when nothing that matters moved."""
    before = [(r.item_code_id, r.qty, r.uom_id, getattr(r, "rate", ZERO)) for r in old]
    after = [(r.item_code_id, r.qty, r.uom_id, getattr(r, "rate", ZERO)) for r in new]
    if before == after:
        return None

    def line(row: tuple[Any, ...]) -> str:
        code, qty, uom, rate = row
        return f"{code} {qty.normalize():f} {uom} at {rate.normalize():f}"

    removed = [line(r) for r in before if r not in after]
    added = [line(r) for r in after if r not in before]
    parts = []
    if removed:
        parts.append("removed " + "; ".join(removed))
    if added:
        parts.append("added " + "; ".join(added))
    return "Items changed: " + ", ".join(parts) if parts else "Items reordered"
