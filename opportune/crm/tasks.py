"""CRM's periodic jobs (core.schedule): thin adapters over services, safe to run twice."""

from __future__ import annotations

from django.utils import timezone

from opportune.activities.services import send_due_reminders
from opportune.core.schedule import scheduled


@scheduled("crm.send_due_reminders", cron="* * * * *")
def send_due_reminders_job(*, scheduled_for: str) -> int:
    """Every next-contact (and calendar) reminder due by now and not yet sent: a run after an
    outage catches up on everything missed, each reminder still sent once."""
    return send_due_reminders(now=timezone.now())
