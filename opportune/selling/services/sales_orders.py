"""Sales orders: made from a submitted quotation (or by hand), submitted, cancelled; their
effect on the quotation (Ordered / Partially Ordered) and on the opportunity (Converted)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from opportune.core.docstatus import DocStatus, move_docstatus
from opportune.core.documents import lock_document, save_document
from opportune.core.drafts import create_draft, delete_draft, update_draft
from opportune.core.errors import ConflictError, FieldErrors
from opportune.core.fields import Link
from opportune.core.items import TransactionDraft, require_items
from opportune.crm import services as crm
from opportune.crm.models import Campaign, Contact, Customer, LeadSource, Opportunity
from opportune.masters.models import CustomerGroup, Territory
from opportune.masters.services import TRANSACTION_SPEC
from opportune.selling.models import Quotation, SalesOrder, SalesOrderItem
from opportune.selling.services.quotations import (
    recompute_after_quotation_event,
    refresh_quotation_status,
)
from opportune.selling.status import ordered_qty_by_row

if TYPE_CHECKING:
    from opportune.core.users import User

SALES_ORDER_SPEC = {
    **TRANSACTION_SPEC,
    "customer": Link(Customer, "Customer", {"disabled": False}),
    "contact_person": Link(Contact, "Contact"),
    "territory": Link(Territory, "Territory"),
    "customer_group": Link(CustomerGroup, "Customer Group"),
    "source": Link(LeadSource, "Lead Source"),
    "campaign": Link(Campaign, "Campaign"),
    "delivery_date": None,
    "contact_email": None,
}
WRITABLE = set(SALES_ORDER_SPEC) | {"items", "tax_rate", "conversion_rate"}


class SalesOrderDraft(TransactionDraft):
    model = SalesOrder
    spec = SALES_ORDER_SPEC
    writable = frozenset(WRITABLE)
    item_model = SalesOrderItem
    item_flag = "is_sales_item"
    parent_field = "sales_order"
    kept_on_rows = ("quotation_item_id", "prevdoc_docname")
    exclude_from_model_checks = {"customer_name", "status"}

    def header(self, changed: set[str]) -> None:
        doc = self.doc
        if not doc.customer_id:
            if "customer" not in self.errors.fields:
                self.errors.add("customer", "Choose the customer.")
            return
        customer = doc.customer
        doc.customer_name = customer.customer_name
        for field in ("territory", "customer_group"):
            if not getattr(doc, f"{field}_id") and field not in self.data:
                setattr(doc, f"{field}_id", getattr(customer, f"{field}_id"))
        if not doc.contact_email and "contact_email" not in self.data:
            doc.contact_email = customer.email_id
        contact = doc.contact_person if doc.contact_person_id else None
        if contact is not None and (contact.link_doctype, contact.link_name) != (
            "Customer",
            customer.pk,
        ):
            self.errors.add(
                "contact_person",
                f"Contact '{contact.name}' is not linked to Customer '{customer.pk}'.",
            )

    def default_currency(self) -> str:
        customer = self.doc.customer if self.doc.customer_id else None
        return (customer and customer.default_currency_id) or super().default_currency()

    def keep_conversion_rate(self) -> bool:
        return self.doc.quotation_id is not None

    def checks(self, changed: set[str]) -> None:
        self.check_not_before_date(
            "delivery_date", "Delivery date cannot be before the order date."
        )


def create_sales_order(
    *,
    data: Mapping[str, Any],
    by: User,
    now: datetime | None = None,
    prefill: Mapping[str, Any] | None = None,
    row_links: Sequence[Mapping[str, Any]] = (),
) -> SalesOrder:
    document: SalesOrder = create_draft(
        SalesOrderDraft,
        data=data,
        by=by,
        now=now,
        prefill=prefill,
        row_links=row_links,
    )
    return document


def update_sales_order(
    order: SalesOrder, *, data: Mapping[str, Any], version: int | None, by: User
) -> SalesOrder:
    document: SalesOrder = update_draft(SalesOrderDraft, order, data=data, version=version, by=by)
    return document


def delete_sales_order(order: SalesOrder, *, version: int | None, by: User) -> None:
    delete_draft(order, version=version, by=by)


# --- Quotation -> Sales Order ------------------------------------------------------------------
def make_sales_order_from_quotation(
    quotation: Quotation, *, by: User, now: datetime | None = None
) -> SalesOrder:
    """A draft order for what is left to order on a submitted quotation. A quotation to a lead
    first gets the lead's customer (made from the lead when there is none yet)."""
    now = now or timezone.now()
    _check_orderable(quotation, today=timezone.localdate(now))
    ordered = ordered_qty_by_row(quotation)
    rows = [(r, r.qty - ordered.get(r.pk, 0)) for r in quotation.items.all()]
    rows = [(r, left) for r, left in rows if left > 0]
    if not rows:
        raise ConflictError(
            f"Everything on Quotation {quotation.name} is already ordered.",
            fields={"items": ["nothing left to order"]},
        )
    with transaction.atomic():
        customer = _customer_for(quotation, by=by)
        data: dict[str, Any] = {
            "customer": customer.pk,
            "currency": quotation.currency_id,
            "conversion_rate": quotation.conversion_rate,
            "tax_rate": quotation.tax_rate,
            "terms": quotation.terms,
            "contact_person": (
                quotation.contact_person_id if quotation.quotation_to == "Customer" else None
            ),
            "contact_email": quotation.contact_email,
            "territory": quotation.territory_id,
            "customer_group": quotation.customer_group_id or customer.customer_group_id,
            "source": quotation.source_id,
            "campaign": quotation.campaign_id,
            "items": [
                {
                    "item_code": r.item_code_id,
                    "item_name": r.item_name,
                    "description": r.description,
                    "qty": left,
                    "uom": r.uom_id,
                    "rate": r.rate,
                }
                for r, left in rows
            ],
        }
        prefill = {"quotation": quotation, "opportunity_id": quotation.opportunity_id}
        links = [{"quotation_item": r, "prevdoc_docname": quotation.name} for r, _ in rows]
        order = create_sales_order(data=data, by=by, now=now, prefill=prefill, row_links=links)
    return order


def _check_orderable(quotation: Quotation, *, today: date) -> None:
    why = quotation.why_not_orderable(today)
    if why is not None:
        raise ConflictError(
            f"No sales order can be made from Quotation {quotation.name}: {why}.",
            fields={"status": [f"is {quotation.status}"]},
        )


def _customer_for(quotation: Quotation, *, by: User) -> Customer:
    # The party's link is set as quotation_to says (a database constraint).
    if quotation.quotation_to == Quotation.To.CUSTOMER:
        customer = quotation.customer
        assert customer is not None
        if customer.disabled:
            raise ConflictError(
                f"Customer {quotation.customer_id} is disabled.",
                fields={"customer": ["is disabled"]},
            )
        return customer
    lead = quotation.lead
    assert lead is not None
    existing = Customer.objects.filter(lead_name=lead).order_by("creation").first()
    if existing is not None:
        return existing
    opportunity = quotation.opportunity
    if opportunity is not None:
        made = Customer.objects.filter(opportunity_name=opportunity).first()
        if made is not None:
            return made
        if opportunity.lead_id != lead.pk:
            opportunity = None
    return crm.make_customer_from_lead(lead, by=by, opportunity=opportunity)


# --- submit / cancel ---------------------------------------------------------------------------
def submit_sales_order(order: SalesOrder, *, version: int | None = None, by: User) -> SalesOrder:
    """The quotation becomes Ordered (Partially Ordered when only part is ordered) and the
    opportunity Converted."""
    with transaction.atomic():
        locked = lock_document(SalesOrder, order.pk, expected_version=version, by=by)
        move_docstatus(locked, DocStatus.SUBMITTED)
        require_items(locked)
        if locked.quotation_id:
            _check_against_quotation(locked)
        locked.status = SalesOrder.Status.TO_DELIVER_AND_BILL
        save_document(locked, by=by)
        _after_order_event(locked, requested=Opportunity.Status.CONVERTED, by=by)
    return locked


def cancel_sales_order(order: SalesOrder, *, version: int | None = None, by: User) -> SalesOrder:
    """The quotation goes back to Open (or Partially Ordered), the opportunity follows."""
    with transaction.atomic():
        locked = lock_document(SalesOrder, order.pk, expected_version=version, by=by)
        move_docstatus(locked, DocStatus.CANCELLED)
        locked.status = SalesOrder.Status.CANCELLED
        save_document(locked, by=by)
        _after_order_event(locked, requested=Opportunity.Status.OPEN, by=by)
    return locked


def _check_against_quotation(order: SalesOrder) -> None:
    quotation = order.quotation
    assert quotation is not None  # called for an order made from a quotation
    if quotation.docstatus != DocStatus.SUBMITTED or quotation.status == Quotation.Status.LOST:
        raise ConflictError(
            f"Quotation {quotation.name} is {quotation.status}: this order cannot be submitted.",
            fields={"quotation": [f"is {quotation.status}"]},
        )
    ordered = ordered_qty_by_row(quotation, exclude_order=order)
    errors = FieldErrors()
    for i, row in enumerate(order.items.select_related("quotation_item")):
        source = row.quotation_item
        if source is None:
            continue
        left = source.qty - ordered.get(source.pk, Decimal(0))
        if row.qty > left:
            errors.add(
                f"items[{i}].qty",
                f"Only {left.normalize():f} of {source.item_code_id} is left to order on "
                f"Quotation {quotation.name}.",
            )
    errors.raise_if_any()


def _after_order_event(order: SalesOrder, *, requested: str, by: User) -> None:
    if order.quotation is None:
        return
    quotation = refresh_quotation_status(order.quotation, by=by)
    recompute_after_quotation_event(quotation, requested=requested, by=by)
