"""The email engine's jobs: claim and send (at most once, services.py), the outbox's retries and
stale sends, and IMAP polling per account."""

from __future__ import annotations

import imaplib
import logging

from django.utils import timezone

from opportune.comms import imap
from opportune.comms.models import EmailAccount
from opportune.comms.services import (
    CLAIM_JOB,
    SMTP_JOB,
    SMTP_LEASE_SECONDS,
    claim_for_sending,
    deliver,
    enqueue_due_sends,
    mark_stale_sends,
)
from opportune.core.jobs import durable_job, enqueue_job
from opportune.core.schedule import scheduled

logger = logging.getLogger(__name__)
POLL_JOB = "comms.poll_account"


@durable_job(CLAIM_JOB)
def claim_job(*, communication_id: int) -> bool:
    return claim_for_sending(communication_id=communication_id)


# One attempt only: a second run could send the email twice (services.py says why).
@durable_job(SMTP_JOB, max_attempts=1, lease_seconds=SMTP_LEASE_SECONDS)
def smtp_job(*, communication_id: int, attempt: int) -> str:
    return deliver(communication_id=communication_id, attempt=attempt)


@scheduled("comms.send_due", cron="* * * * *")
def send_due_job(*, scheduled_for: str) -> dict[str, int]:
    now = timezone.now()
    return {"claimed": enqueue_due_sends(now=now), "unknown": mark_stale_sends(now=now)}


@scheduled("comms.poll_imap", cron="*/5 * * * *")
def poll_imap_job(*, scheduled_for: str) -> int:
    """Every five minutes: one job per account with incoming mail on."""
    accounts = EmailAccount.objects.filter(enable_incoming=True).exclude(imap_host="")
    ids = list(accounts.values_list("pk", flat=True))
    for pk in ids:
        enqueue_job(POLL_JOB, key=f"{POLL_JOB}:{pk}:{scheduled_for}", account_id=pk)
    return len(ids)


@durable_job(POLL_JOB, max_attempts=1, lease_seconds=900)
def poll_account_job(*, account_id: int) -> int:
    account = EmailAccount.objects.filter(pk=account_id, enable_incoming=True).first()
    if account is None:
        return 0
    try:
        return imap.poll_account(account)
    except (imaplib.IMAP4.error, OSError) as exc:  # the next run tries again
        logger.warning("Polling %s failed: %s", account, exc)
        EmailAccount.objects.filter(pk=account_id).update(
            last_poll_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return 0
