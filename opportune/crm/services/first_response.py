"""Minutes to first response (ERPNEXT_BEHAVIOUR.md decision 2, section 8): set once, by the
first email a user sends on the opportunity. (A minimal version for the email engine: the
business-hours figure is filled by the business-hours work.)"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from opportune.crm.models import Opportunity


def record_first_response(opportunity: Opportunity, *, at: datetime) -> bool:
    """Set ``first_responded_on`` and ``mins_to_first_response`` (minutes since creation, two
    decimals) unless set already; True when this call set them."""
    if opportunity.first_responded_on is not None:
        return False
    seconds = max((at - opportunity.creation).total_seconds(), 0)
    minutes = (Decimal(seconds) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    updated = Opportunity.objects.filter(pk=opportunity.pk, first_responded_on__isnull=True).update(
        first_responded_on=at, mins_to_first_response=minutes
    )
    if updated:
        opportunity.first_responded_on, opportunity.mins_to_first_response = at, minutes
    return bool(updated)
