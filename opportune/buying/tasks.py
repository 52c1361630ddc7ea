"""Buying's periodic jobs (Huey): thin adapters over services, safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opportune.buying.services import expire_supplier_quotations


@db_periodic_task(crontab(hour="0", minute="15"))
def expire_supplier_quotations_daily() -> int:
    """Submitted supplier quotations past valid_till become Expired."""
    return expire_supplier_quotations()
