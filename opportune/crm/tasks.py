"""CRM's periodic jobs: thin adapters over services, safe to run twice."""

from __future__ import annotations

from django.utils import timezone

from opportune.core.schedule import scheduled
from opportune.crm.services.auto_close import close_silent_opportunities


# --- auto-close (ERPNEXT_BEHAVIOUR.md decision 5) -----------------------------------------------
@scheduled("crm.close_silent_opportunities", cron="30 0 * * *", lease_seconds=1800)
def close_silent_opportunities_job(*, scheduled_for: str) -> dict[str, int]:
    """Every night: Replied opportunities whose party stayed silent are closed."""
    result = close_silent_opportunities(now=timezone.now())
    return {"closed": result.closed, "failed": result.failed}
