"""What an email does to an opportunity (ERPNEXT_BEHAVIOUR.md decision 4): sent to the party,
Open -> Replied with ``replied_on`` (and the first response, once); received from the party
(never an auto-reply or a bounce: comms does not call for those), Replied -> Open,
``last_received_on``, and the assignment rules run again. Through the status engine, so the
history shows the change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from opportune.automation.services import apply_assignment_rules
from opportune.core.documents import lock_document, save_document
from opportune.crm.models import Opportunity
from opportune.crm.services.first_response import record_first_response
from opportune.crm.status import computed_opportunity_status, write_status_change
from opportune.crm.webhooks import opportunity_changed

if TYPE_CHECKING:
    from opportune.comms.models import Communication


def apply_email_sent(communication: Communication) -> None:
    if communication.reference_doctype != Opportunity.doctype:
        return
    with transaction.atomic():
        locked = lock_document(
            Opportunity,
            communication.reference_name,
            expected_version=None,
            by=communication.owner,
        )
        if communication.owner is not None:
            record_first_response(locked, at=communication.creation)
        old_status = locked.status
        if locked.status == Opportunity.Status.OPEN:
            new = computed_opportunity_status(locked, Opportunity.Status.REPLIED)
            write_status_change(locked, new, by=communication.owner)
        save_document(locked, by=communication.owner)
        opportunity_changed(locked, event=None, old_status=old_status)


def apply_email_received(communication: Communication) -> None:
    if communication.reference_doctype != Opportunity.doctype:
        return
    with transaction.atomic():
        locked = lock_document(
            Opportunity, communication.reference_name, expected_version=None, by=None
        )
        locked.last_received_on = communication.communication_date
        reopened, old_status = False, locked.status
        if locked.status == Opportunity.Status.REPLIED:
            new = computed_opportunity_status(locked, Opportunity.Status.OPEN)
            reopened = write_status_change(locked, new, by=None)
        save_document(locked, by=None)
        if reopened:
            apply_assignment_rules(locked, by=None)
        opportunity_changed(locked, event=None, old_status=old_status)
