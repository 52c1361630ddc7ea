"""The webhook engine's jobs: claim a delivery (its POST runs once the claim commits) and,
every minute, hand the deliveries whose backoff is over."""

from __future__ import annotations

from django.utils import timezone

from opportune.core.jobs import durable_job
from opportune.core.schedule import scheduled
from opportune.webhooks.services import SEND_JOB, claim_delivery, send_due_deliveries


@durable_job(SEND_JOB, lease_seconds=120)
def send_job(*, delivery_id: int, attempt: int) -> bool:
    return claim_delivery(delivery_id=delivery_id, attempt=attempt)


@scheduled("webhooks.send_due", cron="* * * * *")
def send_due_job(*, scheduled_for: str) -> dict[str, int]:
    return send_due_deliveries(now=timezone.now())
