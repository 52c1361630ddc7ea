"""Quotations: create, edit (drafts only), submit, cancel, declare lost, expire, and the
Opportunity -> Quotation mapping with its effects on the opportunity's and lead's status."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from opportune.core.company import CompanySettings
from opportune.core.docstatus import DocStatus, move_docstatus
from opportune.core.documents import lock_document, save_document, set_status_in_batches
from opportune.core.drafts import create_draft, delete_draft, update_draft
from opportune.core.errors import ConflictError
from opportune.core.fields import Link, find_record
from opportune.core.items import TransactionDraft, require_items
from opportune.core.models import Comment
from opportune.core.timeline import add_comment
from opportune.crm import services as crm
from opportune.crm.models import (
    Campaign,
    Contact,
    LeadSource,
    Opportunity,
)
from opportune.crm.status import refresh_lead_status
from opportune.masters.models import CustomerGroup, Territory
from opportune.masters.services import TRANSACTION_SPEC
from opportune.selling.models import Quotation, QuotationItem
from opportune.selling.status import (
    SellingQuotationProbe,
    computed_quotation_status,
    stale_quotation_leads,
    stale_quotation_opportunities,
)
from opportune.selling.webhooks import SUBMITTED
from opportune.webhooks.services import emit

if TYPE_CHECKING:
    from opportune.core.users import User

QUOTATION_SPEC = {
    **TRANSACTION_SPEC,
    "opportunity": Link(Opportunity, "Opportunity"),
    "contact_person": Link(Contact, "Contact"),
    "territory": Link(Territory, "Territory"),
    "customer_group": Link(CustomerGroup, "Customer Group"),
    "source": Link(LeadSource, "Lead Source"),
    "campaign": Link(Campaign, "Campaign"),
    "title": None,
    "valid_till": None,
    "contact_email": None,
    "contact_mobile": None,
}
WRITABLE = set(QUOTATION_SPEC) | {
    "quotation_to",
    "party_name",
    "items",
    "tax_rate",
    "conversion_rate",
}


def one_month_after(day: date) -> date:
    """The same day next month (its last day when next month is shorter), as ERPNext."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class QuotationDraft(TransactionDraft):
    model = Quotation
    spec = QUOTATION_SPEC
    writable = frozenset(WRITABLE)
    item_model = QuotationItem
    item_flag = "is_sales_item"
    parent_field = "quotation"
    exclude_from_model_checks = {"party_name", "quotation_to", "customer_name", "status"}

    def __init__(
        self,
        document: Quotation,
        data: Mapping[str, Any],
        *,
        creating: bool,
        keep_rate: bool = False,
        settings: CompanySettings | None = None,
    ) -> None:
        super().__init__(document, data, creating=creating, settings=settings)
        self.before_opportunity = None if creating else document.opportunity_id
        self.keep_rate = keep_rate

    def keep_conversion_rate(self) -> bool:
        return self.keep_rate

    def header(self, changed: set[str]) -> None:
        self._party()
        self._contact()
        doc = self.doc
        if (
            self.creating
            and "valid_till" not in self.data
            and isinstance(doc.transaction_date, date)
        ):
            days = self.settings.default_valid_till
            doc.valid_till = (
                doc.transaction_date + timedelta(days=days)
                if days
                else one_month_after(doc.transaction_date)
            )

    def _party(self) -> None:
        doc, data = self.doc, self.data
        kind = data.get("quotation_to", doc.quotation_to)
        name = data.get("party_name", doc.party_name)
        if kind not in Quotation.To.values:
            self.errors.add("quotation_to", "Quotation To must be Lead or Customer.")
            return
        party = crm.find_party(kind, name, self.errors)
        if party is None:
            return
        doc.quotation_to, doc.party_name = kind, name
        doc.lead = party if kind == "Lead" else None
        doc.customer = party if kind == "Customer" else None
        old_name = doc.customer_name
        doc.customer_name = crm.party_customer_name(party)
        if not doc.title or (doc.title == old_name and "title" not in data):
            doc.title = doc.customer_name
        for field in ("territory", "customer_group") if kind == "Customer" else ("territory",):
            if not getattr(doc, f"{field}_id") and field not in data:
                setattr(doc, f"{field}_id", getattr(party, f"{field}_id"))
        if not doc.contact_email and "contact_email" not in data:
            doc.contact_email = party.email_id

    def _contact(self) -> None:
        doc = self.doc
        if self.errors or not doc.contact_person_id:
            return
        # read ahead in a bulk write (one query for the batch), else one query as before
        contact: Contact | None = find_record(Contact, doc.contact_person_id)
        if contact is None:
            return
        doc.contact_person = contact
        if (contact.link_doctype, contact.link_name) != (doc.quotation_to, doc.party_name):
            self.errors.add(
                "contact_person",
                f"Contact '{contact.name}' is not linked to {doc.quotation_to} '{doc.party_name}'.",
            )
            return
        doc.contact_display = contact.full_name
        if "contact_email" not in self.data and contact.email_id:
            doc.contact_email = contact.email_id
        if "contact_mobile" not in self.data and contact.mobile_no:
            doc.contact_mobile = contact.mobile_no

    def checks(self, changed: set[str]) -> None:
        self.check_not_before_date("valid_till", "Valid till cannot be before the quotation date.")

    def link_row(self, row: Any) -> None:
        row.prevdoc_doctype = "Opportunity" if self.doc.opportunity_id else ""
        row.prevdoc_docname = self.doc.opportunity_id or ""

    def save(self, *, by: User | None) -> None:
        super().save(by=by)
        if self.new_rows is None and self.doc.opportunity_id != self.before_opportunity:
            self.doc.items.update(
                prevdoc_doctype="Opportunity" if self.doc.opportunity_id else "",
                prevdoc_docname=self.doc.opportunity_id or "",
            )


# --- create / edit / delete --------------------------------------------------------------------
def create_quotation(
    *,
    data: Mapping[str, Any],
    by: User,
    now: datetime | None = None,
    prefill: Mapping[str, Any] | None = None,
) -> Quotation:
    """A draft quotation from plain input; ``prefill`` sets unchecked values first (mapping)."""
    document: Quotation = create_draft(
        QuotationDraft,
        data=data,
        by=by,
        now=now,
        prefill=prefill,
        keep_rate="conversion_rate" in (prefill or {}),
    )
    return document


def update_quotation(
    quotation: Quotation, *, data: Mapping[str, Any], version: int | None, by: User
) -> Quotation:
    document: Quotation = update_draft(QuotationDraft, quotation, data=data, version=version, by=by)
    return document


def delete_quotation(quotation: Quotation, *, version: int | None, by: User) -> None:
    delete_draft(quotation, version=version, by=by)


# --- the mapping -------------------------------------------------------------------------------
def make_quotation_from_opportunity(
    opportunity: Opportunity, *, by: User, now: datetime | None = None
) -> Quotation:
    """ERPNext's make_quotation (ERPNEXT_BEHAVIOUR.md 4.2): a draft the user edits, linked to
    the opportunity by header and by each item row."""
    data: dict[str, Any] = {
        "quotation_to": opportunity.opportunity_from,
        "party_name": opportunity.party_name,
        "opportunity": opportunity.name,
        "currency": opportunity.currency_id,
        "contact_person": opportunity.contact_person_id,
        "contact_email": opportunity.contact_email,
        "contact_mobile": opportunity.contact_mobile,
        "territory": opportunity.territory_id,
        "customer_group": opportunity.customer_group_id,
        "source": opportunity.source_id,
        "campaign": opportunity.campaign_id,
        "items": [
            {
                "item_code": row.item_code_id,
                "item_name": row.item_name,
                "description": row.description,
                "qty": row.qty,
                "uom": row.uom_id,
                "rate": row.rate,
            }
            for row in opportunity.items.all()
        ],
    }
    prefill = {
        "contact_display": opportunity.contact_display,
        # Used only when no exchange rate is recorded for the quotation date.
        "conversion_rate": opportunity.conversion_rate,
    }
    with transaction.atomic():
        # Read under a row lock: a declare-lost committing meanwhile is seen (or waits for us).
        status = (
            Opportunity.objects.select_for_update()
            .filter(pk=opportunity.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status == Opportunity.Status.LOST:
            raise ConflictError(
                f"Opportunity {opportunity.name} is Lost: reopen it before making a quotation.",
                fields={"status": ["is Lost"]},
            )
        quotation = create_quotation(data=data, by=by, now=now, prefill=prefill)
        _note(opportunity, f"Quotation {quotation.name} made from this opportunity.", by)
    return quotation


# --- submit / cancel / lost --------------------------------------------------------------------
def submit_quotation(quotation: Quotation, *, version: int | None = None, by: User) -> Quotation:
    """Submitted quotations are Open; the opportunity moves to Quotation, the lead too."""
    with transaction.atomic():
        locked = lock_document(Quotation, quotation.pk, expected_version=version, by=by)
        move_docstatus(locked, DocStatus.SUBMITTED)
        require_items(locked)
        locked.status = Quotation.Status.OPEN
        save_document(locked, by=by)
        _after_status_event(
            locked,
            requested=Opportunity.Status.QUOTATION,
            by=by,
            note=f"Quotation {locked.name} submitted.",
        )
        emit(SUBMITTED, locked)
    return locked


def cancel_quotation(quotation: Quotation, *, version: int | None = None, by: User) -> Quotation:
    """Cancelled quotations are inactive: the opportunity goes back to Open unless another
    quotation still holds it."""
    with transaction.atomic():
        locked = lock_document(Quotation, quotation.pk, expected_version=version, by=by)
        if (
            locked.docstatus == DocStatus.SUBMITTED
            and locked.sales_orders.filter(docstatus=DocStatus.SUBMITTED).exists()
        ):
            raise ConflictError(
                f"Quotation {locked.name} has submitted sales orders: cancel them first.",
                fields={"status": [f"is {locked.status}"]},
            )
        move_docstatus(locked, DocStatus.CANCELLED)
        locked.status = Quotation.Status.CANCELLED
        save_document(locked, by=by)
        locked.lost_reasons.clear()
        _after_status_event(
            locked,
            requested=Opportunity.Status.OPEN,
            by=by,
            note=f"Quotation {locked.name} cancelled.",
        )
    return locked


def declare_quotation_lost(
    quotation: Quotation,
    *,
    lost_reasons: Sequence[str],
    competitors: Sequence[str] = (),
    detail: str | None = None,
    version: int | None = None,
    by: User,
) -> Quotation:
    """Lost with at least one reason (Opportunity Lost Reason master). The opportunity is
    declared lost with the same reasons unless another quotation is active or ordered."""
    reasons, rivals = crm.check_lost_reasons(lost_reasons, competitors)
    with transaction.atomic():
        locked = lock_document(Quotation, quotation.pk, expected_version=version, by=by)
        if not locked.can_declare_lost:
            why = (
                "a sales order was made from it"
                if locked.status in Quotation.ORDERED_STATUSES
                else f"it is {locked.status}"
            )
            raise ConflictError(
                f"Quotation {locked.name} cannot be declared lost: {why}.",
                fields={"status": [f"is {locked.status}"]},
            )
        locked.status = Quotation.Status.LOST
        if detail is not None:
            locked.order_lost_reason = detail
        save_document(locked, by=by)
        # django-stubs takes only int primary keys here; these masters are keyed by name.
        locked.lost_reasons.set(reasons)  # type: ignore[arg-type]
        locked.competitors.set(rivals)  # type: ignore[arg-type]
        if locked.opportunity_id:
            _opportunity_lost_with(locked, reasons, rivals, detail, by=by)
        _refresh_quotation_lead(locked)
    return locked


def _opportunity_lost_with(
    quotation: Quotation,
    reasons: list[str],
    rivals: list[str],
    detail: str | None,
    *,
    by: User,
) -> None:
    opportunity = quotation.opportunity
    assert opportunity is not None  # called for a quotation made from an opportunity
    _note(opportunity, f"Quotation {quotation.name} declared lost.", by)
    holds = SellingQuotationProbe().opportunity_quotations(opportunity).active
    if holds or opportunity.status in (
        Opportunity.Status.CLOSED,
        Opportunity.Status.LOST,
        Opportunity.Status.CONVERTED,
    ):
        crm.recompute_opportunity_status(opportunity, requested=Opportunity.Status.LOST, by=by)
    else:
        crm.declare_opportunity_lost(
            opportunity, lost_reasons=reasons, competitors=rivals, detail=detail, by=by
        )


# --- effects -----------------------------------------------------------------------------------
def refresh_quotation_status(
    quotation: Quotation, *, by: User, today: date | None = None
) -> Quotation:
    """Recompute a submitted quotation's status after its orders changed (an effect: the
    version is bumped without a check)."""
    locked = lock_document(Quotation, quotation.pk, expected_version=None, by=by)
    status = computed_quotation_status(locked, today=today or timezone.localdate())
    if status != locked.status:
        locked.status = status
        save_document(locked, by=by)
    return locked


def recompute_after_quotation_event(quotation: Quotation, *, requested: str, by: User) -> None:
    """Run the opportunity's status engine and refresh the lead after ``quotation`` moved."""
    if quotation.opportunity is not None:
        crm.recompute_opportunity_status(quotation.opportunity, requested=requested, by=by)
    _refresh_quotation_lead(quotation)


def _after_status_event(quotation: Quotation, *, requested: str, by: User, note: str) -> None:
    if quotation.opportunity is not None:
        _note(quotation.opportunity, note, by)
    recompute_after_quotation_event(quotation, requested=requested, by=by)


def _refresh_quotation_lead(quotation: Quotation) -> None:
    opportunity = quotation.opportunity
    opportunity_lead = opportunity.lead_id if opportunity is not None else None
    if quotation.lead_id and quotation.lead_id != opportunity_lead and quotation.lead is not None:
        refresh_lead_status(quotation.lead)


def _note(opportunity: Opportunity, text: str, by: User) -> None:
    add_comment(
        "Opportunity", opportunity.name, content=text, by=by, comment_type=Comment.Type.INFO
    )


# --- the daily job -----------------------------------------------------------------------------
def expire_quotations(*, today: date | None = None, now: datetime | None = None) -> int:
    """Open quotations past valid_till become Expired (in batches, each quotation's history
    and timeline showing the change); opportunities left at Quotation without an active
    quotation go back to Open (and their leads follow).

    Idempotent and safe after a crash half-way: the second step looks for every opportunity
    still at Quotation with no active quotation, not just the ones expired by this run.
    """
    today = today or timezone.localdate()
    now = now or timezone.now()
    expired = set_status_in_batches(
        Quotation.objects.filter(
            docstatus=DocStatus.SUBMITTED, status=Quotation.Status.OPEN, valid_till__lt=today
        ),
        status=Quotation.Status.EXPIRED,
        now=now,
        reason="Expired: past valid till",
    )
    for opportunity in stale_quotation_opportunities():
        crm.recompute_opportunity_status(opportunity, requested=Opportunity.Status.OPEN, by=None)
    for lead in stale_quotation_leads():
        refresh_lead_status(lead)
    return expired
