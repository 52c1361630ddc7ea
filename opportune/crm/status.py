"""How quotations and orders move an opportunity's (and its lead's) status.

Quotations live in a higher app (selling), so crm asks through a probe that selling registers
at start-up; without it no quotation exists. The rules mirror ERPNext's status engine with the
decisions of ERPNEXT_BEHAVIOUR.md (expired quotations are inactive; partly ordered counts as
Converted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db.models import F
from django.utils import timezone

from opportune.core.models import Comment
from opportune.core.timeline import add_comment
from opportune.crm.models import Lead, Opportunity
from opportune.crm.next_contact import has_next_contact, sync_next_contact_event


@dataclass(frozen=True)
class QuotationState:
    """What an opportunity's (or a lead's) submitted quotations say, read in one query."""

    active: bool = False  # one is Open, Partially Ordered or Ordered
    ordered: bool = False  # one is Partially Ordered or Ordered (so also active)
    lost: bool = False  # one is Lost and none is active

    @classmethod
    def of(cls, *, active: bool, ordered: bool, lost: bool) -> QuotationState:
        return cls(active=active or ordered, ordered=ordered, lost=lost and not active)


class QuotationProbe(Protocol):
    def opportunity_quotations(self, opportunity: Opportunity) -> QuotationState: ...
    def lead_quotations(self, lead: Lead) -> QuotationState: ...


class _NoQuotations:
    def opportunity_quotations(self, opportunity: Opportunity) -> QuotationState:
        return QuotationState()

    def lead_quotations(self, lead: Lead) -> QuotationState:
        return QuotationState()


_probe: QuotationProbe = _NoQuotations()


def register_quotation_probe(probe: QuotationProbe) -> None:
    global _probe
    _probe = probe


def quotation_probe() -> QuotationProbe:
    return _probe


def computed_opportunity_status(opportunity: Opportunity, requested: str | None = None) -> str:
    """The status the engine gives, ``requested`` being what the triggering event asks for."""
    if opportunity.status == Opportunity.Status.CLOSED:
        return Opportunity.Status.CLOSED
    quotations = _probe.opportunity_quotations(opportunity)
    if quotations.ordered:
        return Opportunity.Status.CONVERTED
    if quotations.active:
        return Opportunity.Status.QUOTATION
    if quotations.lost:
        return Opportunity.Status.LOST
    return requested or opportunity.status


def write_status_change(
    opportunity: Opportunity, new_status: str, *, by, now: datetime | None = None
) -> bool:
    """Set the status on an opportunity locked by the caller (its history shows the change).
    Its next-contact event follows: Lost, Closed or Converted drop it while it is to come."""
    if new_status == opportunity.status:
        return False
    opportunity.status = new_status
    if new_status == Opportunity.Status.REPLIED:
        opportunity.replied_on = opportunity.modified
    if has_next_contact(opportunity):  # without one there is no event (cleared with the fields)
        sync_next_contact_event(opportunity, now=now or timezone.now())
    return True


def computed_lead_status(lead: Lead) -> str:
    if lead.status == Lead.Status.DO_NOT_CONTACT:
        return lead.status
    if lead.customers.exists():
        return Lead.Status.CONVERTED
    quotations = _probe.lead_quotations(lead)
    if quotations.active:
        return Lead.Status.QUOTATION
    if lead.opportunities.exclude(status=Opportunity.Status.LOST).exists():
        return Lead.Status.OPPORTUNITY
    if quotations.lost:
        return Lead.Status.LOST_QUOTATION
    return lead.status


def refresh_lead_status(lead: Lead) -> str:
    """Recompute a lead's status after something happened to its opportunities or quotations.

    Written with one UPDATE so it never fights a user editing the lead's other fields; the
    lead's version is bumped so a stale form is still refused.
    """
    new_status = computed_lead_status(lead)
    if new_status != lead.status:
        Lead.objects.filter(pk=lead.pk).update(status=new_status, version=F("version") + 1)
        lead.refresh_from_db(fields=["status", "version"])
        add_comment("Lead", lead.name, content=new_status, by=None, comment_type=Comment.Type.LABEL)
    return new_status
