"""Selling's periodic jobs (core.schedule): thin adapters over services, safe to run twice."""

from __future__ import annotations

from opportune.core.schedule import scheduled, slot_date
from opportune.selling.services import expire_quotations


@scheduled("selling.expire_quotations", cron="10 0 * * *")
def expire_quotations_daily(*, scheduled_for: str) -> int:
    """Daily at 00:10 company time: quotations past valid_till on that day become Expired;
    their opportunities return to Open."""
    return expire_quotations(today=slot_date(scheduled_for))
