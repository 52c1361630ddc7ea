"""What quotations tell the CRM's status engine, and a quotation's own status.

``SellingQuotationProbe`` implements ``crm.status.QuotationProbe``; SellingConfig.ready
registers it. A quotation belongs to an opportunity through its header ``opportunity`` or
through an item row's ``prevdoc_docname`` (both are kept, decision 8). Active means submitted
and Open, Partially Ordered or Ordered: expired, lost and cancelled quotations are inactive,
and a partially ordered quotation counts as ordered (decision 1).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from opportune.crm.models import Lead, Opportunity
from opportune.crm.status import QuotationState
from opportune.selling.models import DocStatus, Quotation, QuotationItem, SalesOrderItem


def quotations_of_opportunity(opportunity_name) -> QuerySet[Quotation]:
    """Submitted quotations linked to an opportunity by header or by item rows."""
    by_rows = QuotationItem.objects.filter(
        prevdoc_doctype="Opportunity", prevdoc_docname=opportunity_name
    ).values("quotation_id")
    return Quotation.objects.filter(docstatus=DocStatus.SUBMITTED).filter(
        Q(opportunity_id=opportunity_name) | Q(pk__in=by_rows)
    )


def active_quotation_exists() -> Exists:
    """``EXISTS`` an active quotation for the outer opportunity (for set-based queries)."""
    ref = OuterRef("pk")
    return Exists(quotations_of_opportunity(ref).filter(status__in=Quotation.ACTIVE_STATUSES))


class SellingQuotationProbe:
    """The quotations' side of crm's status engine: each answer is one query."""

    def opportunity_quotations(self, opportunity: Opportunity) -> QuotationState:
        return _state(quotations_of_opportunity(opportunity.pk))

    def lead_quotations(self, lead: Lead) -> QuotationState:
        return _state(Quotation.objects.filter(lead=lead, docstatus=DocStatus.SUBMITTED))


def _state(quotations: QuerySet[Quotation]) -> QuotationState:
    statuses = set(quotations.values_list("status", flat=True).distinct())
    return QuotationState.of(
        active=bool(statuses & set(Quotation.ACTIVE_STATUSES)),
        ordered=bool(statuses & set(Quotation.ORDERED_STATUSES)),
        lost=Quotation.Status.LOST in statuses,
    )


def ordered_qty_by_row(quotation: Quotation, *, exclude_order=None) -> dict[int, Decimal]:
    """How much of each quotation row submitted sales orders have ordered (one query)."""
    rows = SalesOrderItem.objects.filter(
        quotation_item__quotation=quotation, sales_order__docstatus=DocStatus.SUBMITTED
    )
    if exclude_order is not None:
        rows = rows.exclude(sales_order=exclude_order)
    return {
        r["quotation_item"]: r["ordered"]
        for r in rows.values("quotation_item").annotate(ordered=Sum("qty"))
    }


def computed_quotation_status(quotation: Quotation, *, today: date) -> str:
    """ERPNext's quotation status map: Cancelled, Ordered, Partially Ordered, Lost, Expired
    (from the daily job's rule: past valid_till), Open; Draft before submission."""
    if quotation.docstatus == DocStatus.DRAFT:
        return Quotation.Status.DRAFT
    if quotation.docstatus == DocStatus.CANCELLED:
        return Quotation.Status.CANCELLED
    ordered = ordered_qty_by_row(quotation)
    rows = list(quotation.items.all())
    if rows and all(ordered.get(r.pk, 0) >= r.qty for r in rows):
        return Quotation.Status.ORDERED
    if any(ordered.get(r.pk, 0) > 0 for r in rows):
        return Quotation.Status.PARTIALLY_ORDERED
    if quotation.status == Quotation.Status.LOST:
        return Quotation.Status.LOST
    if quotation.valid_till and quotation.valid_till < today:
        return Quotation.Status.EXPIRED
    return Quotation.Status.OPEN


def stale_quotation_opportunities() -> QuerySet[Opportunity]:
    """Opportunities still at Quotation although none of their quotations is active."""
    return Opportunity.objects.filter(status=Opportunity.Status.QUOTATION).exclude(
        active_quotation_exists()
    )


def stale_quotation_leads() -> QuerySet[Lead]:
    active = Quotation.objects.filter(
        lead=OuterRef("pk"), docstatus=DocStatus.SUBMITTED, status__in=Quotation.ACTIVE_STATUSES
    )
    return Lead.objects.filter(status=Lead.Status.QUOTATION).exclude(Exists(active))
