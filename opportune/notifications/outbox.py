"""The notifications' email outbox (decision 0043): a notification whose user wants it by email
is written with ``email_pending``; one durable job sends the waiting emails in batches.

- **Queued per time bucket**: a write that wants an email asks for the drain of the current
  bucket (``EMAIL_BUCKET_SECONDS``), keyed ``notification-emails:<bucket>`` and due at the
  bucket's end, with ``enqueue_job_once``: the first write of the bucket adds and hands it, the
  others add nothing, and a process that already committed the bucket's job asks nothing more.
- **Sent in batches**: the job locks the oldest ``EMAIL_BATCH`` waiting rows (skipping rows
  another drain holds), renders them, sends them over one SMTP connection and records them in
  one UPDATE, in its transaction: a crash or a retry re-sends at most that batch, with the same
  Message-ID. A full batch queues the next one's job in the same transaction.
- **Safety net**: ``notifications.send_missed_emails`` (tasks.py) drains every minute, so a
  notification committed after its bucket's job ran goes out within about a minute.

``send_notification_email`` sends one notification (the per-email job of before, whose jobs may
still be in a ledger).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from opportune.core.jobs import enqueue_job_once
from opportune.core.statements import execute, fetch, update_sql
from opportune.notifications.emails import absolute_url, message_id, one_line
from opportune.notifications.models import Notification

logger = logging.getLogger(__name__)

SEND_EMAILS_JOB = "notifications.send_emails"
# The job of one notification's email (before decision 0043): its jobs still in a ledger run.
SEND_EMAIL_JOB = "notifications.send_email"
# The writes of this many seconds share one drain, due when they end.
EMAIL_BUCKET_SECONDS = 2
# Emails sent (and at most re-sent after a crash) per job.
EMAIL_BATCH = 100
# A recipient refused for now (4xx) is tried again by each drain for this long after the
# notification was made; then its email is given up (the notification stays in the app).
EMAIL_GIVE_UP_AFTER = timedelta(days=1)

# This process's latest bucket whose drain job is known committed (set after the commit).
_drain_committed: dict[str, int] = {}


def queue_email_drain(*, now: datetime | None = None) -> None:
    """Ask for the drain of the current bucket (the clock's, or ``now``'s) in the current
    transaction: nothing when this process already committed it; a job added and handed on
    commit to run at the bucket's end when no other write of the bucket did."""
    moment = (now or timezone.now()).timestamp()
    bucket = int(moment // EMAIL_BUCKET_SECONDS)
    if _drain_committed.get("bucket") == bucket:
        return
    ends = datetime.fromtimestamp((bucket + 1) * EMAIL_BUCKET_SECONDS, tz=UTC)
    enqueue_job_once(SEND_EMAILS_JOB, key=f"notification-emails:{bucket}", run_after=ends)
    # Added here or by another write (whose commit this INSERT waited for): committed with ours.
    transaction.on_commit(lambda: _drain_committed.update(bucket=bucket))


def forget_email_drains() -> None:
    """Forget which bucket's drain this process committed (a test's rolled back transaction)."""
    _drain_committed.clear()


@dataclass
class Delivery:
    """What one batch did: notifications sent, not sent (an inactive user, no address, an
    address the server refused for good), and whether it stopped early (the server failed)."""

    sent: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    stopped: bool = False


def send_pending_notification_emails(
    *, now: datetime | None = None, batch: int | None = None
) -> Delivery:
    """Send the oldest waiting emails, at most ``batch``, in the caller's transaction (the
    durable job's): their rows locked (PostgreSQL skips the rows another drain holds), sent
    over one connection, and recorded in one UPDATE. A server that fails before any message
    went raises (the job is retried with backoff); after some went, those are recorded and the
    rest wait for the next drain, as does a recipient refused for now. A full batch queues the
    next batch's job."""
    batch = batch or EMAIL_BATCH
    waiting = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("user")
        .filter(email_pending=True)
        .order_by("pk")[:batch]
    )
    if not waiting:
        return Delivery()
    now = now or timezone.now()
    sendable = [n for n in waiting if n.user.is_active and n.user.email]
    delivery = _send(sendable, give_up_before=now - EMAIL_GIVE_UP_AFTER)
    addressed = {n.pk for n in sendable}
    delivery.dropped += [n.pk for n in waiting if n.pk not in addressed]
    _record(delivery, now)
    if len(waiting) == batch and not delivery.stopped:
        enqueue_job_once(SEND_EMAILS_JOB, key=f"notification-emails:after:{waiting[-1].pk}")
    return delivery


def _send(notifications: Sequence[Notification], *, give_up_before: datetime) -> Delivery:
    """Each message over one connection. A recipient refused leaves the connection usable: for
    good (5xx), its notification is dropped; for now (4xx), it waits for the next drain, unless
    the notification was made before ``give_up_before``. Any other failure (the connection)
    ends the batch, or raises when it did nothing yet."""
    made = {n.pk: n.creation for n in notifications}
    delivery = Delivery()
    if not notifications:
        return delivery
    messages = [(n.pk, _email(n)) for n in notifications]
    with get_connection() as mail:  # opened once (a failure to connect raises: nothing went)
        for pk, message in messages:
            try:
                mail.send_messages([message])
            except smtplib.SMTPRecipientsRefused as refused:
                logger.warning("Notification %s: its address was refused: %s", pk, refused)
                if _for_good(refused) or made[pk] < give_up_before:
                    delivery.dropped.append(pk)
                continue
            except Exception:
                if not delivery.sent and not delivery.dropped:
                    raise  # nothing done: the job is retried with backoff
                logger.exception("Notification %s: its email failed; it waits for a drain.", pk)
                delivery.stopped = True
                break
            delivery.sent.append(pk)
    return delivery


def _for_good(refused: smtplib.SMTPRecipientsRefused) -> bool:
    """Every recipient refused with a permanent (5xx) answer: retrying will not help."""
    return all(code >= 500 for code, _text in refused.recipients.values())


def _record(delivery: Delivery, now: datetime) -> None:
    """One UPDATE: the batch's rows no longer wait; those sent stamped ``emailed_at``."""
    done = delivery.sent + delivery.dropped
    if not done:
        return
    Notification.objects.filter(pk__in=done).update(
        email_pending=False,
        emailed_at=Case(
            When(pk__in=delivery.sent, then=Value(now)),
            default=None,
            output_field=DateTimeField(),
        ),
    )


def send_notification_email(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send the notification's email unless it was sent already (its row locked, checked, and
    marked sent in the caller's transaction: the durable job's). False when there is nothing to
    send: already sent, gone, or a user now inactive or without an email address."""
    found = fetch(
        "notifications.to_email",
        lambda v: Notification.objects.select_for_update().select_related("user").filter(pk=v.pk),
        pk=notification_id,
    )
    notification = found[0] if found else None
    if notification is None or notification.emailed_at is not None:
        return False
    user = notification.user
    if not user.is_active or not user.email:
        return False
    _email(notification).send()
    notification.emailed_at = now or timezone.now()
    notification.email_pending = False
    execute(
        "notifications.emailed",
        lambda v: update_sql(
            Notification.objects.filter(pk=v.pk),
            {"emailed_at": v.at, "email_pending": False},
            connection.alias,
        ),
        pk=notification.pk,
        at=notification.emailed_at,
    )
    return True


def _email(notification: Notification) -> EmailMultiAlternatives:
    context: dict[str, Any] = {
        "notification": notification,
        "url": absolute_url(notification.link),
        "profile_url": absolute_url("/accounts/profile/"),
    }
    email = EmailMultiAlternatives(
        subject=f"[Opportune] {one_line(notification.subject)}",
        body=render_to_string("notifications/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.user.email],
        headers={"Message-ID": message_id(notification)},
    )
    email.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return email
