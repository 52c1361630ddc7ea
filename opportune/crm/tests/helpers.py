"""Shared helpers of the CRM tests: a snapshot of the database to prove a refusal changed nothing,
and a fake quotation probe."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.forms.models import model_to_dict

from opportune.core.models import Comment
from opportune.crm import status
from opportune.crm.models import Contact, Customer, Lead, Opportunity, OpportunityItem
from opportune.crm.status import QuotationState


def opportunity_state(name: str) -> dict:
    """Every stored value of one opportunity: columns, item rows, reasons and competitors."""
    opp = Opportunity.objects.get(pk=name)
    row = model_to_dict(opp, exclude=["lost_reasons", "competitors"])
    row.update(
        version=opp.version,
        modified=opp.modified,
        creation=opp.creation,
        items=[
            model_to_dict(i)
            for i in OpportunityItem.objects.filter(opportunity=opp).order_by("idx")
        ],
        lost_reasons=sorted(opp.lost_reasons.values_list("pk", flat=True)),
        competitors=sorted(opp.competitors.values_list("pk", flat=True)),
    )
    return row


def row_counts() -> dict[str, int]:
    """How many rows each CRM table holds (a refused request adds none)."""
    models = (
        Opportunity,
        OpportunityItem,
        Lead,
        Customer,
        Contact,
        Comment,
        Opportunity.history.model,
        Lead.history.model,
    )
    return {m.__name__: m.objects.count() for m in models}


@dataclass
class FakeProbe:
    """A quotation probe whose answers the test sets."""

    active: set[str] = field(default_factory=set)
    ordered: set[str] = field(default_factory=set)
    lost: set[str] = field(default_factory=set)
    lead_quoted: set[str] = field(default_factory=set)
    lead_lost: set[str] = field(default_factory=set)

    def opportunity_quotations(self, opportunity) -> QuotationState:
        name = opportunity.name
        return QuotationState.of(
            active=name in self.active, ordered=name in self.ordered, lost=name in self.lost
        )

    def lead_quotations(self, lead) -> QuotationState:
        return QuotationState.of(
            active=lead.name in self.lead_quoted, ordered=False, lost=lead.name in self.lead_lost
        )


@contextmanager
def fake_probe():
    """Register a FakeProbe for the duration of the block, then restore the previous one."""
    previous = status.quotation_probe()
    probe = FakeProbe()
    status.register_quotation_probe(probe)
    try:
        yield probe
    finally:
        status.register_quotation_probe(previous)
