"""The notifications' jobs: the email outbox's drain (outbox.py, decision 0043), asked for by the
writes of each time bucket and run every minute as a safety net; and the job of one email,
kept for the jobs of before the outbox still in a ledger."""

from __future__ import annotations

from opportune.core.jobs import durable_job
from opportune.core.schedule import scheduled
from opportune.notifications.outbox import (
    SEND_EMAIL_JOB,
    SEND_EMAILS_JOB,
    send_notification_email,
    send_pending_notification_emails,
)


@durable_job(SEND_EMAILS_JOB, lease_seconds=600)
def send_emails() -> int:
    """A batch of the waiting emails, claimed here and sent once this job commits (the next
    batch's job is queued when it was full): how many it claimed."""
    return len(send_pending_notification_emails().claimed)


@scheduled("notifications.send_missed_emails", cron="* * * * *", lease_seconds=600)
def send_missed_emails(*, scheduled_for: str) -> int:
    """Every minute: what waits still (written after its bucket's job ran, or released by a
    drain that could not send it) is sent."""
    return len(send_pending_notification_emails().claimed)


@durable_job(SEND_EMAIL_JOB)
def send_email(*, notification_id: int) -> None:
    send_notification_email(notification_id=notification_id)
