"""Opportunities waiting too long for a first response: Open, no first response yet, and more
business minutes since they were created than CRM Settings' ``first_response_target_minutes``.

The business minutes are never computed per row: the cut-off instant is found once by walking
the working hours back from now (``core.business_hours.business_cutoff``), and the condition is
``creation < cutoff``, one comparison in the query that reads the rows (a partial index on
``creation`` of the Open opportunities without a response keeps it cheap). No target set: none
is overdue.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from opportune.core.business_hours import business_cutoff
from opportune.crm.models import CRMSettings, Opportunity

NOTHING = Q(pk__in=[])


def first_response_cutoff(now: datetime) -> datetime | None:
    """Created before this instant, an Open opportunity without a response is overdue at
    ``now``; None: no target (or no working time to count)."""
    settings = CRMSettings.current()
    target = settings.first_response_target_minutes
    if target is None:
        return None
    return business_cutoff(now, target, settings.business_schedule())


def is_overdue_first_response(now: datetime) -> Q:
    """The opportunities overdue for a first response at ``now`` (SQL; none without a target)."""
    return _overdue(first_response_cutoff(now))


def _overdue(cutoff: datetime | None) -> Q:
    if cutoff is None:
        return NOTHING
    return Q(status=Opportunity.Status.OPEN, first_responded_on__isnull=True, creation__lt=cutoff)


def with_response_overdue(rows: QuerySet[Opportunity], now: datetime) -> QuerySet[Opportunity]:
    """``rows`` with ``response_overdue``: whether each waits past the target at ``now``."""
    return with_response_overdue_before(rows, first_response_cutoff(now))


def with_response_overdue_before(
    rows: QuerySet[Opportunity], cutoff: datetime | None
) -> QuerySet[Opportunity]:
    """``rows`` with ``response_overdue``: Open, unanswered and created before ``cutoff``
    (``first_response_cutoff``; None: no target, never overdue)."""
    overdue = _overdue(cutoff)
    if overdue is NOTHING:
        return rows.annotate(response_overdue=Value(False, output_field=BooleanField()))
    return rows.annotate(
        response_overdue=Case(
            When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def overdue_for_first_response(opportunity: Opportunity, now: datetime) -> bool:
    """Whether one opportunity (its page) waits past the target at ``now``: the list's rule."""
    if opportunity.status != Opportunity.Status.OPEN or opportunity.first_responded_on:
        return False
    cutoff = first_response_cutoff(now)
    return cutoff is not None and opportunity.creation < cutoff
