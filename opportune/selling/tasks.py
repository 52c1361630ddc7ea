"""Selling's periodic jobs (Huey): thin adapters over services, safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opportune.selling.services import expire_quotations


@db_periodic_task(crontab(hour="0", minute="10"))
def expire_quotations_daily() -> int:
    """Quotations past valid_till become Expired; their opportunities return to Open."""
    return expire_quotations()
