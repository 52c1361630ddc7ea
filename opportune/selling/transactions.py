"""What every priced document's services share: item rows, exchange rate, totals, docstatus.

``TransactionDraft`` is one validation pass over a transaction and its rows, collecting every
problem by field (``items[1].qty``) so the caller raises once and writes nothing. Subclasses
add their header rules (party, validity) through ``header`` and ``checks``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from opportune.core.errors import ConflictError, FieldErrors, ValidationError
from opportune.core.fields import Link, apply_fields, parse_decimal, validate_model_fields
from opportune.core.money import ZERO, round_money
from opportune.crm.models import CRMSettings
from opportune.masters.models import UOM, Currency
from opportune.masters.services import get_exchange_rate, items_by_code
from opportune.selling.models import DOCSTATUS_TRANSITIONS, DocStatus

MAX_QTY = Decimal(10) ** 9
MAX_RATE = Decimal(10) ** 12
MAX_AMOUNT = Decimal(10) ** 15
QTY_PLACES = Decimal("0.000001")
HUNDRED = Decimal(100)
ITEM_INPUT = {"id", "item_code", "item_name", "description", "qty", "uom", "rate"}

TRANSACTION_SPEC: dict[str, Link | None] = {
    "currency": Link(Currency, "Currency", {"enabled": True}),
    "transaction_date": None,
    "terms": None,
}


def require_draft(document) -> None:
    """Edits happen only in Draft; a submitted or cancelled document is a record."""
    if document.docstatus != DocStatus.DRAFT:
        raise ConflictError(
            f"{document.doctype} {document.name} is {document.status}: only a draft can be "
            "changed.",
            fields={"docstatus": [f"is {DocStatus(document.docstatus).label}"]},
        )


def move_docstatus(document, to: int) -> None:
    """Apply one step of the docstatus transition table, or refuse it (409)."""
    if to not in DOCSTATUS_TRANSITIONS[document.docstatus]:
        current = DocStatus(document.docstatus).label
        verbs = {DocStatus.SUBMITTED: "submitted", DocStatus.CANCELLED: "cancelled"}
        why = "already " + verbs[to] if document.docstatus == to else f"{current}"
        raise ConflictError(
            f"{document.doctype} {document.name} cannot be {verbs[to]}: it is {why}.",
            fields={"docstatus": [f"is {current}"]},
        )
    document.docstatus = to


def one_month_after(day: date) -> date:
    """The same day next month (its last day when next month is shorter), as ERPNext."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class TransactionDraft:
    """One validation pass over a transaction and its item rows."""

    spec: ClassVar[Mapping[str, Link | Any]] = TRANSACTION_SPEC
    item_model: ClassVar[type[models.Model]]
    parent_field: ClassVar[str]
    # Row attributes carried over when an input row names an existing row by ``id``.
    kept_on_rows: ClassVar[tuple[str, ...]] = ()
    with_rates: ClassVar[bool] = True
    exclude_from_model_checks: ClassVar[set[str]] = set()

    def __init__(self, document, data: Mapping[str, Any], *, creating: bool):
        self.doc = document
        self.data = data
        self.creating = creating
        self.settings = CRMSettings.load()
        self.errors = FieldErrors()
        self.before_currency = None if creating else getattr(document, "currency_id", None)
        self.old_rows = [] if creating else list(document.items.all())
        self.new_rows: list[models.Model] | None = None

    # --- the pass ------------------------------------------------------------------------------
    def apply(self) -> None:
        changed = apply_fields(self.doc, self.data, self.spec, self.errors)
        self.header(changed)
        self.currency()
        self.items()
        self.totals()
        self.checks(changed)
        validate_model_fields(self.doc, self.errors, exclude=self.exclude_from_model_checks)
        self.errors.raise_if_any()

    def header(self, changed: set[str]) -> None:
        """Party and other header rules (subclasses)."""

    def checks(self, changed: set[str]) -> None:
        """Cross-field checks (subclasses)."""

    def default_currency(self) -> str:
        return self.settings.company_currency_id

    def currency(self) -> None:
        doc, errors = self.doc, self.errors
        if not doc.currency_id:
            doc.currency_id = self.default_currency()
        if self.data.get("tax_rate") is not None:
            rate = parse_decimal("tax_rate", self.data["tax_rate"], errors)
            if rate is not None and not (ZERO <= rate <= HUNDRED):
                errors.add("tax_rate", "The tax rate must be between 0 and 100 (%).")
            elif rate is not None:
                doc.tax_rate = rate
        company = self.settings.company_currency_id
        if doc.currency_id == company:
            doc.conversion_rate = Decimal(1)
            return
        given = self.data.get("conversion_rate")
        if given is not None:
            rate = parse_decimal("conversion_rate", given, errors)
            if rate is not None and rate <= 0:
                errors.add("conversion_rate", "Conversion rate must be greater than 0.")
            elif rate is not None:
                doc.conversion_rate = rate
            return
        if self.creating or doc.currency_id != self.before_currency:
            on_date = doc.transaction_date if isinstance(doc.transaction_date, date) else None
            rate = get_exchange_rate(doc.currency_id, company, on_date or timezone.localdate())
            if rate is not None:
                doc.conversion_rate = rate
            elif not self.keep_conversion_rate():
                errors.add(
                    "conversion_rate",
                    f"No exchange rate from {doc.currency_id} to {company} on or before "
                    f"{on_date}: enter the conversion rate, or record it under Currency Exchange.",
                )

    def keep_conversion_rate(self) -> bool:
        """Whether a rate already set (e.g. carried from the opportunity) may stand."""
        return False

    # --- items -----------------------------------------------------------------------------
    def items(self) -> None:
        if "items" not in self.data:
            return
        rows = self.data["items"] or []
        if not isinstance(rows, list | tuple):
            self.errors.add("items", "Items must be a list.")
            return
        dicts = [r for r in rows if isinstance(r, Mapping)]
        items = items_by_code({r.get("item_code") for r in dicts} - {None, ""})
        wanted_uoms = {r.get("uom") for r in dicts} | {i.stock_uom_id for i in items.values()}
        uoms = {u.pk: u for u in UOM.objects.filter(pk__in=wanted_uoms - {None, ""})}
        old = {row.pk: row for row in self.old_rows}
        self.new_rows = []
        for idx, row in enumerate(rows, start=1):
            built = self.item_row(idx, row, items, uoms, old)
            if built is not None:
                self.new_rows.append(built)

    def item_row(self, idx, row, items, uoms, old):
        prefix = f"items[{idx - 1}]"
        errors = self.errors
        if not isinstance(row, Mapping):
            errors.add(prefix, "Each item must be an object.")
            return None
        allowed = ITEM_INPUT if self.with_rates else ITEM_INPUT - {"rate"}
        for unknown in sorted(set(row) - allowed - {"idx", "amount"}):
            errors.add(f"{prefix}.{unknown}", "This field is not known or cannot be written.")
        code = row.get("item_code")
        item = items.get(code)
        if item is None:
            errors.add(
                f"{prefix}.item_code",
                f"Item '{code}' does not exist." if code else "Choose an item.",
            )
            return None
        if item.disabled:
            errors.add(f"{prefix}.item_code", f"Item '{code}' is disabled.")
        qty = parse_decimal(
            f"{prefix}.qty", row.get("qty", 1) if row.get("qty") is not None else 1, errors
        )
        uom = row.get("uom") or item.stock_uom_id
        if uom not in uoms:
            errors.add(f"{prefix}.uom", f"UOM '{uom}' does not exist.")
        elif qty is not None:
            self.check_qty(prefix, idx, qty, uoms[uom])
        rate = ZERO
        if self.with_rates:
            given = row.get("rate")
            rate = (
                (item.standard_rate if self.default_rate_from_item() else ZERO)
                if given is None
                else parse_decimal(f"{prefix}.rate", given, errors)
            )
            if rate is not None and rate < 0:
                errors.add(f"{prefix}.rate", "Rate cannot be negative.")
            elif rate is not None and rate >= MAX_RATE:
                errors.add(f"{prefix}.rate", f"Rate must be less than {MAX_RATE:,}.")
        built = self.item_model(
            idx=idx,
            item_code=item,
            item_name=(row.get("item_name") or item.item_name)[:140],
            description=row.get("description") or item.description,
            qty=(qty if qty is not None and qty > 0 else Decimal(1)).quantize(QTY_PLACES),
            uom_id=uom,
            stock_uom_id=item.stock_uom_id,
        )
        if self.with_rates:
            built.rate = rate if rate is not None else ZERO
        previous = old.get(row.get("id"))
        if previous is not None:
            for attr in self.kept_on_rows:
                setattr(built, attr, getattr(previous, attr))
        return built

    def default_rate_from_item(self) -> bool:
        return True

    def check_qty(self, prefix: str, idx: int, qty: Decimal, uom: UOM) -> None:
        if qty <= 0:
            self.errors.add(f"{prefix}.qty", "Quantity must be greater than 0.")
        elif qty >= MAX_QTY:
            self.errors.add(f"{prefix}.qty", f"Quantity must be less than {MAX_QTY:,}.")
        elif uom.must_be_whole_number and qty != qty.to_integral_value():
            self.errors.add(
                f"{prefix}.qty",
                f"Quantity ({qty}) cannot be a fraction in row {idx}: {uom.pk} is counted in "
                "whole numbers.",
            )

    @property
    def rows(self) -> list:
        return self.new_rows if self.new_rows is not None else self.old_rows

    # --- totals --------------------------------------------------------------------------------
    def totals(self) -> None:
        if self.errors or not self.with_rates:
            return
        doc = self.doc
        precision = (
            Currency.objects.filter(pk=doc.currency_id).values_list("precision", flat=True).first()
        )
        precision = 2 if precision is None else precision
        compute_totals(doc, self.rows, precision, self.settings.company_currency.precision)
        if max(doc.grand_total, doc.base_grand_total) >= MAX_AMOUNT:
            self.errors.add("items", f"The grand total must stay below {MAX_AMOUNT:,}.")

    # --- writing -------------------------------------------------------------------------------
    def save(self, *, by) -> None:
        self.doc._history_user = by
        self.doc.save()
        if self.new_rows is None:
            if self.with_rates and not self.creating:  # rates may follow a new currency
                self.item_model.objects.bulk_update(
                    self.old_rows, ["rate", "amount", "base_rate", "base_amount"]
                )
            return
        self.doc.items.all().delete()
        for row in self.new_rows:
            setattr(row, self.parent_field, self.doc)
            self.link_row(row)
        self.item_model.objects.bulk_create(self.new_rows)

    def link_row(self, row) -> None:
        """Set the row's links derived from the header (subclasses)."""


def compute_totals(doc, rows, precision: int, company_precision: int) -> None:
    """ERPNext's totals with one tax line: amounts in the document's currency rounded to its
    minor unit, base_ amounts converted at the document's rate to the company currency."""
    rate = doc.conversion_rate or Decimal(1)
    total = base_total = ZERO
    for row in rows:
        row.rate = round_money(row.rate, precision)
        row.amount = round_money(row.qty * row.rate, precision)
        row.base_rate = round_money(row.rate * rate, company_precision)
        row.base_amount = round_money(row.amount * rate, company_precision)
        total += row.amount
        base_total += row.base_amount
    doc.total, doc.base_total = total, base_total
    doc.net_total, doc.base_net_total = total, base_total
    taxes = round_money(total * (doc.tax_rate or ZERO) / HUNDRED, precision)
    doc.total_taxes_and_charges = taxes
    doc.base_total_taxes_and_charges = round_money(taxes * rate, company_precision)
    doc.grand_total = total + taxes
    doc.base_grand_total = round_money(doc.grand_total * rate, company_precision)


def require_items(document) -> None:
    if not document.items.exists():
        raise ValidationError.for_field(
            "items", f"Add at least one item before submitting the {document.doctype}."
        )
