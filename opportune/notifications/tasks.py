"""The notifications' jobs: a notification's email, sent once (services.send_notification_email)."""

from __future__ import annotations

from opportune.core.jobs import durable_job
from opportune.notifications.services import SEND_EMAIL_JOB, send_notification_email


@durable_job(SEND_EMAIL_JOB)
def send_email(*, notification_id: int) -> None:
    send_notification_email(notification_id=notification_id)
