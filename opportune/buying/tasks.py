"""Buying's periodic jobs (core.schedule): thin adapters over services, safe to run twice."""

from __future__ import annotations

from opportune.buying.services import expire_supplier_quotations
from opportune.core.schedule import scheduled, slot_date


@scheduled("buying.expire_supplier_quotations", cron="15 0 * * *")
def expire_supplier_quotations_daily(*, scheduled_for: str) -> int:
    """Daily at 00:15 company time: submitted supplier quotations past valid_till on that day
    become Expired."""
    return expire_supplier_quotations(today=slot_date(scheduled_for))
