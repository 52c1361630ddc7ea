"""An opportunity's next contact (``contact_date``, ``contact_by``, ``to_discuss``) as one
calendar Event for the contact person (ERPNext v12's add_calendar_event, decision 2):

- both set: one event owned by ``contact_by`` at ``contact_date``, reminded then;
- either changed: the same event moved (new SEQUENCE; the reminder fires again);
- either cleared: the event removed;
- Lost, Closed or Converted: the event removed while it is still to come (a past one stays).

Called by every service that changes those fields or the status (``write_status_change``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opportune.activities.models import NEXT_CONTACT
from opportune.activities.services import (
    delete_document_event,
    delete_future_document_events,
    sync_document_event,
    upcoming_document_event_names,
)
from opportune.crm.models import Opportunity

# The statuses that end the follow-up: their next contact no longer reminds anyone.
ENDING_STATUSES = frozenset(
    {Opportunity.Status.LOST, Opportunity.Status.CLOSED, Opportunity.Status.CONVERTED}
)


def next_contact_subject(opportunity: Opportunity) -> str:
    """ERPNext's texts: "Contact <contact>", else "Contact customer|lead <party>"."""
    if opportunity.contact_display:
        return f"Contact {opportunity.contact_display}"
    kind = "customer" if opportunity.opportunity_from == Opportunity.From.CUSTOMER else "lead"
    return f"Contact {kind} {opportunity.customer_name or opportunity.party_name}"


def next_contact_description(opportunity: Opportunity) -> str:
    by = opportunity.contact_by.username if opportunity.contact_by else ""
    text = f"{next_contact_subject(opportunity)} ({opportunity.name}). By: {by}."
    if opportunity.to_discuss:
        text += f"\nTo discuss: {opportunity.to_discuss}"
    return text


def has_next_contact(opportunity: Opportunity) -> bool:
    return bool(opportunity.contact_date and opportunity.contact_by_id)


def sync_next_contact_event(opportunity: Opportunity, *, now: datetime) -> None:
    """Make the opportunity's next-contact event match its fields and status (idempotent)."""
    doctype, name = Opportunity.doctype, opportunity.name
    if not (opportunity.contact_date and opportunity.contact_by):
        delete_document_event(reference_doctype=doctype, reference_name=name, source=NEXT_CONTACT)
        return
    if opportunity.status in ENDING_STATUSES:  # past ones stay in the calendar, as history
        delete_document_event(
            reference_doctype=doctype, reference_name=name, source=NEXT_CONTACT, after=now
        )
        return
    sync_document_event(
        reference_doctype=doctype,
        reference_name=name,
        source=NEXT_CONTACT,
        owner=opportunity.contact_by,
        subject=next_contact_subject(opportunity),
        description=next_contact_description(opportunity),
        starts_on=opportunity.contact_date,
        now=now,
    )


def drop_next_contacts(names: Sequence[str], *, status: str, now: datetime) -> int:
    """Set-based, for a job that ends many opportunities at once (auto-close): the next contacts
    still to come of those among ``names`` that now have ``status`` are removed. First the
    upcoming events of ``names`` (by the events' reference index: usually none), then only
    their opportunities' status is read, never a scan of every opportunity with ``status``."""
    upcoming = upcoming_document_event_names(
        reference_doctype=Opportunity.doctype, reference_names=names, source=NEXT_CONTACT, after=now
    )
    if not upcoming:
        return 0
    ended = list(
        Opportunity.objects.filter(name__in=upcoming, status=status).values_list("name", flat=True)
    )
    return delete_future_document_events(
        reference_doctype=Opportunity.doctype, reference_names=ended, source=NEXT_CONTACT, after=now
    )
