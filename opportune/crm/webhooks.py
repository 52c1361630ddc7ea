"""The opportunity events crm sends to webhooks (webhooks.registry), and their payload: the
opportunity as ``GET /api/v1/opportunities/{name}`` answers it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opportune.crm.models import Opportunity
from opportune.crm.schemas import OpportunityOut
from opportune.webhooks import registry
from opportune.webhooks.services import emit, subscribers

CREATED = "opportunity.created"
UPDATED = "opportunity.updated"
STATUS_CHANGED = "opportunity.status_changed"
LOST = "opportunity.lost"


def register() -> None:
    registry.register_event(CREATED, "An opportunity is created.")
    registry.register_event(UPDATED, "An opportunity is changed (PATCH, the form, a bulk edit).")
    registry.register_event(
        STATUS_CHANGED, "An opportunity's status changes; `change` has `from` and `to`."
    )
    registry.register_event(LOST, "An opportunity is declared lost (with its reasons).")
    registry.register_payload(Opportunity, OpportunityOut)


def opportunity_changed(opportunity: Opportunity, *, event: str | None, old_status: str) -> None:
    """``event`` (if any) about the opportunity, and ``opportunity.status_changed`` when its
    status is not ``old_status`` any more: in the caller's transaction."""
    if event:
        emit(event, opportunity)
    if opportunity.status != old_status:
        emit(STATUS_CHANGED, opportunity, change={"from": old_status, "to": opportunity.status})


@contextmanager
def status_changes_of(names: Sequence[str]) -> Iterator[None]:
    """Around a set-based change of status (auto-close): ``opportunity.status_changed`` for each
    of ``names`` whose status the block changed. Two queries, and only when a webhook listens."""
    if not subscribers(STATUS_CHANGED):
        yield
        return
    before = dict(Opportunity.objects.filter(name__in=names).values_list("name", "status"))
    yield
    for opportunity in Opportunity.objects.filter(name__in=list(before)):
        if opportunity.status != before[opportunity.name]:
            old = before[opportunity.name]
            opportunity_changed(opportunity, event=None, old_status=old)
