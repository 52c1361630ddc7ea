"""The first response to an opportunity: when a user first wrote to the party, and how long the
party waited, on the wall clock and in business minutes (CRM Settings' working hours).

Set once and never again (ERPNext's ``mins_to_first_response`` / ``first_responded_on``,
ERPNEXT_BEHAVIOUR.md §8): the write is one conditional UPDATE (``WHERE first_responded_on IS
NULL``), so of two senders at the same moment exactly one sets the figures, on PostgreSQL and
SQLite alike, without taking the row lock a user's edit holds for longer. The version is not
raised (these are system clocks, like ``replied_on``: a user editing the opportunity meanwhile
is not refused), but a history record is written, so the timeline and the audit show it.

The e-mail engine (comms) calls ``record_first_response`` when a user's e-mail to the party is
sent; nothing else sets the figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction

from opportune.core.business_hours import business_minutes_between, minutes_of
from opportune.crm.models import CRMSettings, Opportunity

if TYPE_CHECKING:
    from opportune.core.users import User

# the change reason of the history record of a first response
FIRST_RESPONSE = "First response"


def record_first_response(
    opportunity: Opportunity, *, at: datetime, by: User | None = None
) -> bool:
    """Record that the party was first answered at ``at`` (an aware instant): sets
    ``first_responded_on``, ``mins_to_first_response`` (minutes since ``creation``, two
    decimals) and ``business_mins_to_first_response`` (the working minutes among them), unless
    a first response is already recorded. True when this call set them; False (and nothing
    changed) when one was there. ``by``: the user who wrote (the history record's user)."""
    if at.tzinfo is None:
        raise ValueError("record_first_response needs an aware datetime")
    creation = opportunity.creation
    wall = minutes_of(max(at - creation, timedelta(0)))
    business = business_minutes_between(creation, at, CRMSettings.current().business_schedule())
    with transaction.atomic():
        claimed = Opportunity.objects.filter(
            pk=opportunity.pk, first_responded_on__isnull=True
        ).update(
            first_responded_on=at,
            mins_to_first_response=wall,
            business_mins_to_first_response=business,
        )
        if not claimed:
            return False
        written = Opportunity.objects.get(pk=opportunity.pk)
        Opportunity.history.bulk_history_create(
            [written], update=True, default_user=by, default_change_reason=FIRST_RESPONSE
        )
    values = {
        "first_responded_on": at,
        "mins_to_first_response": wall,
        "business_mins_to_first_response": business,
    }
    for field, value in values.items():
        setattr(opportunity, field, value)
    loaded = getattr(opportunity, "_loaded_values", None)
    if loaded is not None:  # a locked document (core.documents): written, not a change to save
        loaded.update(values)
    return True
