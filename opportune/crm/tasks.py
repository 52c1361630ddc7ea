"""CRM's periodic jobs (core.schedule): thin adapters over services, safe to run twice."""

from __future__ import annotations

from django.utils import timezone

from opportune.activities.services import send_due_reminders
from opportune.core.schedule import scheduled
from opportune.crm.services.auto_close import close_silent_opportunities
from opportune.crm.stage_totals import compact_stage_totals


# --- auto-close (ERPNEXT_BEHAVIOUR.md decision 5) -----------------------------------------------
@scheduled("crm.close_silent_opportunities", cron="30 0 * * *", lease_seconds=1800)
def close_silent_opportunities_job(*, scheduled_for: str) -> dict[str, int]:
    """Every night: Replied opportunities whose party stayed silent are closed."""
    result = close_silent_opportunities(now=timezone.now())
    return {"closed": result.closed, "failed": result.failed}


# --- next-contact reminders (decision 3) --------------------------------------------------------
@scheduled("crm.send_due_reminders", cron="* * * * *")
def send_due_reminders_job(*, scheduled_for: str) -> int:
    """Every next-contact (and calendar) reminder due by now and not yet sent: a run after an
    outage catches up on everything missed, each reminder still sent once."""
    return send_due_reminders(now=timezone.now())


# --- the board's summary (decision 0034) --------------------------------------------------------
@scheduled("crm.compact_stage_totals", cron="*/5 * * * *")
def compact_stage_totals_job(*, scheduled_for: str) -> int:
    """Every five minutes: the board summary's deltas folded into one row per stage and status
    (the board sums what is there; folding keeps that sum short)."""
    return compact_stage_totals()
