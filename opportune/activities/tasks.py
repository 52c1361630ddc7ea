"""The calendar's periodic jobs (core.schedule): thin adapters over services, safe to run twice."""

from __future__ import annotations

from datetime import datetime

from opportune.activities.services import send_morning_digest
from opportune.core.schedule import scheduled


@scheduled("activities.morning_digest", cron="0 7 * * *")
def morning_digest_job(*, scheduled_for: str) -> int:
    """At 07:00 company time: each user's events of the day (keyed by user and day, so a
    retried or late run adds nothing twice)."""
    return send_morning_digest(now=datetime.fromisoformat(scheduled_for))
