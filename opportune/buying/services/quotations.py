"""Supplier quotations and requests for quotation: the mappings from an opportunity (and from
an RFQ), drafts, submit, cancel, expiry, and the comparison of supplier rates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q, Window
from django.utils import timezone

from opportune.buying.models import (
    RequestForQuotation,
    RequestForQuotationItem,
    RequestForQuotationSupplier,
    Supplier,
    SupplierQuotation,
    SupplierQuotationItem,
)
from opportune.core.company import CompanySettings
from opportune.core.docstatus import DocStatus, move_docstatus
from opportune.core.documents import lock_document, save_document, set_status_in_batches
from opportune.core.drafts import create_draft, delete_draft, update_draft
from opportune.core.errors import ConflictError, FieldErrors, ValidationError
from opportune.core.fields import Link
from opportune.core.items import ItemLike, TransactionDraft, require_items
from opportune.core.models import Comment
from opportune.core.money import ZERO
from opportune.core.timeline import add_comment
from opportune.crm.models import Opportunity, OpportunityItem
from opportune.masters.services import TRANSACTION_SPEC

if TYPE_CHECKING:
    from opportune.core.users import User

QuoteStatus = RequestForQuotationSupplier.QuoteStatus

SQ_SPEC = {
    **TRANSACTION_SPEC,
    "supplier": Link(Supplier, "Supplier", {"disabled": False}),
    "opportunity": Link(Opportunity, "Opportunity"),
    "valid_till": None,
}
SQ_WRITABLE = set(SQ_SPEC) | {"items", "tax_rate", "conversion_rate"}
RFQ_SPEC = {
    "opportunity": Link(Opportunity, "Opportunity"),
    "transaction_date": None,
    "message_for_supplier": None,
}
RFQ_WRITABLE = set(RFQ_SPEC) | {"items", "suppliers"}


def _prevdoc(row: Any, opportunity_id: str | None) -> None:
    row.prevdoc_doctype = "Opportunity" if opportunity_id else ""
    row.prevdoc_docname = opportunity_id or ""


class SupplierQuotationDraft(TransactionDraft):
    model = SupplierQuotation
    spec = SQ_SPEC
    writable = frozenset(SQ_WRITABLE)
    item_model = SupplierQuotationItem
    item_flag = "is_purchase_item"
    parent_field = "supplier_quotation"
    kept_on_rows = ("request_for_quotation_item_id",)
    exclude_from_model_checks = {"supplier_name", "status"}

    def header(self, changed: set[str]) -> None:
        doc = self.doc
        if not doc.supplier_id:
            if "supplier" not in self.errors.fields:
                self.errors.add("supplier", "Choose the supplier.")
            return
        doc.supplier_name = doc.supplier.supplier_name

    def default_currency(self) -> str:
        supplier = self.doc.supplier if self.doc.supplier_id else None
        return (supplier and supplier.default_currency_id) or super().default_currency()

    def default_rate(self, item: ItemLike) -> Decimal:
        return ZERO  # the item's standard rate is a selling price; the supplier gives theirs

    def checks(self, changed: set[str]) -> None:
        self.check_not_before_date("valid_till", "Valid till cannot be before the quotation date.")

    def link_row(self, row: Any) -> None:
        _prevdoc(row, self.doc.opportunity_id)


class RequestForQuotationDraft(TransactionDraft):
    model = RequestForQuotation
    spec = RFQ_SPEC
    writable = frozenset(RFQ_WRITABLE)
    item_model = RequestForQuotationItem
    item_flag = "is_purchase_item"
    parent_field = "request_for_quotation"
    kept_on_rows = ("opportunity_id", "opportunity_item")
    with_rates = False
    exclude_from_model_checks = {"status"}

    def __init__(
        self,
        document: RequestForQuotation,
        data: Mapping[str, Any],
        *,
        creating: bool,
        settings: CompanySettings | None = None,
    ) -> None:
        super().__init__(document, data, creating=creating, settings=settings)
        self.new_suppliers: list[RequestForQuotationSupplier] | None = None

    def header(self, changed: set[str]) -> None:
        if "suppliers" not in self.data:
            return
        names = self.data["suppliers"] or []
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            self.errors.add("suppliers", "Suppliers must be a list of supplier names.")
            return
        wanted = list(dict.fromkeys(n for n in names if n))
        if len(wanted) != len([n for n in names if n]):
            self.errors.add("suppliers", "Each supplier can be asked only once.")
        found = {s.pk: s for s in Supplier.objects.filter(pk__in=wanted)}
        self.new_suppliers = []
        for idx, name in enumerate(wanted, start=1):
            supplier = found.get(name)
            if supplier is None:
                self.errors.add("suppliers", f"Supplier '{name}' does not exist.")
            elif supplier.disabled:
                self.errors.add("suppliers", f"Supplier '{name}' is disabled.")
            else:
                self.new_suppliers.append(
                    RequestForQuotationSupplier(
                        idx=idx,
                        supplier=supplier,
                        supplier_name=supplier.supplier_name,
                        email_id=supplier.email_id,
                    )
                )

    def link_row(self, row: Any) -> None:
        if row.opportunity_id is None and self.doc.opportunity_id:
            row.opportunity_id = self.doc.opportunity_id

    def save(self, *, by: User | None) -> None:
        super().save(by=by)
        if self.new_suppliers is not None:
            self.doc.suppliers.all().delete()
            for row in self.new_suppliers:
                row.request_for_quotation = self.doc
            RequestForQuotationSupplier.objects.bulk_create(self.new_suppliers)


def _require_items_on_opportunity(opportunity: Opportunity) -> list[OpportunityItem]:
    if opportunity.status == Opportunity.Status.LOST:
        raise ConflictError(
            f"Opportunity {opportunity.name} is Lost: reopen it first.",
            fields={"status": ["is Lost"]},
        )
    rows = list(opportunity.items.all())
    if not rows:
        raise ConflictError(
            f"Opportunity {opportunity.name} has no items to ask suppliers about.",
            fields={"items": ["no items"]},
        )
    return rows


def _note(opportunity_id: str | None, text: str, by: User) -> None:
    if opportunity_id:
        add_comment(
            "Opportunity", opportunity_id, content=text, by=by, comment_type=Comment.Type.INFO
        )


# --- supplier quotations -----------------------------------------------------------------------
def create_supplier_quotation(
    *, data: Mapping[str, Any], by: User, now: datetime | None = None
) -> SupplierQuotation:
    document: SupplierQuotation = create_draft(SupplierQuotationDraft, data=data, by=by, now=now)
    return document


def update_supplier_quotation(
    quotation: SupplierQuotation, *, data: Mapping[str, Any], version: int | None, by: User
) -> SupplierQuotation:
    document: SupplierQuotation = update_draft(
        SupplierQuotationDraft, quotation, data=data, version=version, by=by
    )
    return document


def delete_supplier_quotation(
    quotation: SupplierQuotation, *, version: int | None, by: User
) -> None:
    delete_draft(quotation, version=version, by=by)


def make_supplier_quotation_from_opportunity(
    opportunity: Opportunity, *, supplier: str, by: User, now: datetime | None = None
) -> SupplierQuotation:
    """ERPNext's make_supplier_quotation (4.3): the opportunity's items with qty and UOM; the
    supplier's rates are entered per line on the draft."""
    rows = _require_items_on_opportunity(opportunity)
    data = {
        "supplier": supplier,
        "opportunity": opportunity.name,
        "items": [
            {
                "item_code": r.item_code_id,
                "item_name": r.item_name,
                "description": r.description,
                "qty": r.qty,
                "uom": r.uom_id,
                "rate": 0,
            }
            for r in rows
        ],
    }
    with transaction.atomic():
        quotation = create_supplier_quotation(data=data, by=by, now=now)
        _note(
            opportunity.name,
            f"Supplier Quotation {quotation.name} made for {quotation.supplier_name}.",
            by,
        )
    return quotation


def make_supplier_quotation_from_rfq(
    rfq: RequestForQuotation, *, supplier: str, by: User, now: datetime | None = None
) -> SupplierQuotation:
    """One supplier's quotation answering a submitted request for quotation."""
    if rfq.docstatus != DocStatus.SUBMITTED:
        raise ConflictError(
            f"Request for Quotation {rfq.name} is {rfq.status}: submit it first.",
            fields={"status": [f"is {rfq.status}"]},
        )
    if not rfq.suppliers.filter(supplier_id=supplier).exists():
        raise ValidationError.for_field(
            "supplier", f"Supplier '{supplier}' is not asked in {rfq.name}."
        )
    if rfq.supplier_quotations.filter(supplier_id=supplier, docstatus__lt=2).exists():
        raise _already_quoted(rfq, supplier)
    rows = list(rfq.items.all())
    data = {
        "supplier": supplier,
        "opportunity": rfq.opportunity_id,
        "items": [
            {
                "item_code": r.item_code_id,
                "item_name": r.item_name,
                "description": r.description,
                "qty": r.qty,
                "uom": r.uom_id,
                "rate": 0,
            }
            for r in rows
        ],
    }
    links = [{"request_for_quotation_item": r} for r in rows]
    with transaction.atomic():
        try:
            quotation: SupplierQuotation = create_draft(
                SupplierQuotationDraft,
                data=data,
                by=by,
                now=now,
                prefill={"request_for_quotation": rfq},
                row_links=links,
            )
        except IntegrityError as exc:  # another request made it since the check above
            if not rfq.supplier_quotations.filter(supplier_id=supplier, docstatus__lt=2).exists():
                raise
            raise _already_quoted(rfq, supplier) from exc
        _note(
            rfq.opportunity_id,
            f"Supplier Quotation {quotation.name} made for "
            f"{quotation.supplier_name} from {rfq.name}.",
            by,
        )
    return quotation


def _already_quoted(rfq: RequestForQuotation, supplier: str) -> ConflictError:
    return ConflictError(
        f"Supplier '{supplier}' already has a quotation for {rfq.name}.",
        fields={"supplier": ["already quoted"]},
    )


def submit_supplier_quotation(
    quotation: SupplierQuotation, *, version: int | None = None, by: User
) -> SupplierQuotation:
    with transaction.atomic():
        locked = lock_document(SupplierQuotation, quotation.pk, expected_version=version, by=by)
        move_docstatus(locked, DocStatus.SUBMITTED)
        require_items(locked)
        locked.status = SupplierQuotation.Status.SUBMITTED
        save_document(locked, by=by)
        _set_quote_status(locked)
        _note(
            locked.opportunity_id,
            f"Supplier Quotation {locked.name} from {locked.supplier_name} submitted.",
            by,
        )
    return locked


def cancel_supplier_quotation(
    quotation: SupplierQuotation, *, version: int | None = None, by: User
) -> SupplierQuotation:
    with transaction.atomic():
        locked = lock_document(SupplierQuotation, quotation.pk, expected_version=version, by=by)
        move_docstatus(locked, DocStatus.CANCELLED)
        locked.status = SupplierQuotation.Status.CANCELLED
        save_document(locked, by=by)
        _set_quote_status(locked)
    return locked


def _set_quote_status(quotation: SupplierQuotation) -> None:
    """The RFQ's supplier row says whether that supplier's quotation came in."""
    if not quotation.request_for_quotation_id:
        return
    received = SupplierQuotation.objects.filter(
        request_for_quotation_id=quotation.request_for_quotation_id,
        supplier_id=quotation.supplier_id,
        docstatus=DocStatus.SUBMITTED,
    ).exists()
    RequestForQuotationSupplier.objects.filter(
        request_for_quotation_id=quotation.request_for_quotation_id,
        supplier_id=quotation.supplier_id,
    ).update(quote_status=QuoteStatus.RECEIVED if received else QuoteStatus.PENDING)


def expire_supplier_quotations(*, today: date | None = None, now: datetime | None = None) -> int:
    """Submitted supplier quotations past valid_till become Expired, in batches through the
    history-keeping path (their timeline shows it); idempotent."""
    today = today or timezone.localdate()
    return set_status_in_batches(
        SupplierQuotation.objects.filter(
            docstatus=DocStatus.SUBMITTED,
            status=SupplierQuotation.Status.SUBMITTED,
            valid_till__lt=today,
        ),
        status=SupplierQuotation.Status.EXPIRED,
        now=now or timezone.now(),
        reason="Expired: past valid till",
    )


# --- requests for quotation --------------------------------------------------------------------
def create_request_for_quotation(
    *,
    data: Mapping[str, Any],
    by: User,
    now: datetime | None = None,
    row_links: Sequence[Mapping[str, Any]] = (),
) -> RequestForQuotation:
    document: RequestForQuotation = create_draft(
        RequestForQuotationDraft,
        data=data,
        by=by,
        now=now,
        row_links=row_links,
    )
    return document


def update_request_for_quotation(
    rfq: RequestForQuotation, *, data: Mapping[str, Any], version: int | None, by: User
) -> RequestForQuotation:
    document: RequestForQuotation = update_draft(
        RequestForQuotationDraft, rfq, data=data, version=version, by=by
    )
    return document


def delete_request_for_quotation(
    rfq: RequestForQuotation, *, version: int | None, by: User
) -> None:
    delete_draft(rfq, version=version, by=by)


def make_request_for_quotation_from_opportunity(
    opportunity: Opportunity, *, suppliers: Sequence[str], by: User, now: datetime | None = None
) -> RequestForQuotation:
    """ERPNext's make_request_for_quotation (4.4): the items with qty and UOM, each row
    linked to the opportunity and its item row; conversion factor 1."""
    rows = _require_items_on_opportunity(opportunity)
    if not suppliers:
        raise ValidationError.for_field("suppliers", "Choose at least one supplier.")
    data = {
        "opportunity": opportunity.name,
        "suppliers": list(suppliers),
        "items": [
            {
                "item_code": r.item_code_id,
                "item_name": r.item_name,
                "description": r.description,
                "qty": r.qty,
                "uom": r.uom_id,
            }
            for r in rows
        ],
    }
    links = [{"opportunity_id": opportunity.name, "opportunity_item": r.pk} for r in rows]
    with transaction.atomic():
        rfq = create_request_for_quotation(data=data, by=by, now=now, row_links=links)
        _note(
            opportunity.name,
            f"Request for Quotation {rfq.name} made for {', '.join(suppliers)}.",
            by,
        )
    return rfq


def submit_request_for_quotation(
    rfq: RequestForQuotation, *, version: int | None = None, by: User
) -> RequestForQuotation:
    with transaction.atomic():
        locked = lock_document(RequestForQuotation, rfq.pk, expected_version=version, by=by)
        move_docstatus(locked, DocStatus.SUBMITTED)
        errors = FieldErrors()
        if not locked.items.exists():
            errors.add("items", "Add at least one item before submitting.")
        if not locked.suppliers.exists():
            errors.add("suppliers", "Choose at least one supplier before submitting.")
        errors.raise_if_any()
        locked.status = RequestForQuotation.Status.SUBMITTED
        save_document(locked, by=by)
    return locked


def cancel_request_for_quotation(
    rfq: RequestForQuotation, *, version: int | None = None, by: User
) -> RequestForQuotation:
    with transaction.atomic():
        locked = lock_document(RequestForQuotation, rfq.pk, expected_version=version, by=by)
        if (
            locked.docstatus == DocStatus.SUBMITTED
            and locked.supplier_quotations.filter(docstatus=DocStatus.SUBMITTED).exists()
        ):
            raise ConflictError(
                f"Request for Quotation {locked.name} has submitted supplier quotations: "
                "cancel them first.",
                fields={"status": [f"is {locked.status}"]},
            )
        move_docstatus(locked, DocStatus.CANCELLED)
        locked.status = RequestForQuotation.Status.CANCELLED
        save_document(locked, by=by)
    return locked


# --- comparison --------------------------------------------------------------------------------
def supplier_quotation_comparison(opportunity: Opportunity) -> list[dict[str, Any]]:
    """Per item (and UOM), each supplier's rate from the opportunity's submitted (not expired)
    supplier quotations, cheapest first, compared in the company currency; the cheapest are
    marked. One SQL query (a window function gives each item's lowest rate)."""
    rows = (
        SupplierQuotationItem.objects.filter(
            Q(supplier_quotation__opportunity=opportunity.pk)
            | Q(prevdoc_doctype="Opportunity", prevdoc_docname=opportunity.pk),
            supplier_quotation__status=SupplierQuotation.Status.SUBMITTED,
        )
        .annotate(cheapest=Window(Min("base_rate"), partition_by=[F("item_code"), F("uom")]))
        .values(
            "item_code",
            "item_name",
            "uom",
            "qty",
            "rate",
            "base_rate",
            "cheapest",
            "supplier_quotation",
            "supplier_quotation__supplier",
            "supplier_quotation__supplier_name",
            "supplier_quotation__currency",
            "supplier_quotation__valid_till",
        )
        .order_by("item_code", "uom", "base_rate", "supplier_quotation__supplier_name", "pk")
    )
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        entry = items.setdefault(
            (r["item_code"], r["uom"]),
            {
                "item_code": r["item_code"],
                "item_name": r["item_name"],
                "uom": r["uom"],
                "quotes": [],
            },
        )
        entry["quotes"].append(
            {
                "supplier": r["supplier_quotation__supplier"],
                "supplier_name": r["supplier_quotation__supplier_name"],
                "supplier_quotation": r["supplier_quotation"],
                "valid_till": r["supplier_quotation__valid_till"],
                "qty": r["qty"],
                "currency": r["supplier_quotation__currency"],
                "rate": r["rate"],
                "base_rate": r["base_rate"],
                "is_cheapest": r["base_rate"] == r["cheapest"],
            }
        )
    return list(items.values())
