"""The notifications' email outbox (decision 0043): a notification whose user wants it by email
is written with ``email_pending``; one durable job sends the waiting emails in batches.

- **Queued per time bucket**: a write that wants an email asks for the drain of the current
  bucket (``EMAIL_BUCKET_SECONDS``), keyed ``notification-emails:<bucket>`` and due at the
  bucket's end, with ``enqueue_job_once``: the first write of the bucket adds and hands it, the
  others add nothing, and a process that already committed the bucket's job asks nothing more.
- **Sent in batches**: the job claims the oldest ``EMAIL_BATCH`` waiting rows in its
  transaction (skipping rows another drain holds; a full batch queues the next one's job in the
  same transaction); once that commits they are rendered, sent over one SMTP connection outside
  any transaction and recorded in one UPDATE (decision 0046: no database lock is held while the
  SMTP server answers). A crash re-sends at most that batch, after ``EMAIL_CLAIM_LEASE``, with
  the same Message-ID.
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
from django.db.models import BooleanField, Case, DateTimeField, Q, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from opportune.core.commits import after_commit_robust
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
# A batch claimed and never recorded (its worker died while sending) is taken again by a drain
# after this long: longer than a batch of 100 takes to send.
EMAIL_CLAIM_LEASE = timedelta(minutes=10)

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
    """What one batch did: notifications claimed, sent, not sent (an inactive user, no address,
    an address the server refused for good). Filled when the batch is sent: once the claim
    commits."""

    claimed: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


def send_pending_notification_emails(
    *, now: datetime | None = None, batch: int | None = None
) -> Delivery:
    """Claim the oldest waiting emails, at most ``batch``, in the caller's transaction (the
    durable job's) or one of their own: their rows locked while claimed (PostgreSQL skips the
    rows another drain holds) and stamped ``email_claimed_at``. A full batch queues the next
    batch's job. Once the claim commits they are sent over one connection, outside any
    transaction, and recorded in one UPDATE (decision 0046): SQLite's write lock and
    PostgreSQL's row locks are not held while the SMTP server answers. A server that cannot be
    reached releases the batch for the next drain; one that fails after some went: those are
    recorded and the rest wait for the next drain, as does a recipient refused for now. A
    worker that dies between the claim and the record leaves the batch claimed: a drain sends
    it again after ``EMAIL_CLAIM_LEASE``, with the same Message-IDs."""
    batch = batch or EMAIL_BATCH
    now = now or timezone.now()
    delivery = Delivery()
    # the job's transaction when there is one (its failure fails the job: no savepoint needed)
    with transaction.atomic(savepoint=False):
        waiting = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(email_pending=True)
            .filter(
                Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_CLAIM_LEASE)
            )
            .order_by("pk")[:batch]
        )
        if not waiting:
            return delivery
        delivery.claimed = [n.pk for n in waiting]
        Notification.objects.filter(pk__in=delivery.claimed).update(email_claimed_at=now)
        if len(waiting) == batch:
            enqueue_job_once(SEND_EMAILS_JOB, key=f"notification-emails:after:{waiting[-1].pk}")
        after_commit_robust(_deliver, waiting, delivery, now)
    return delivery


def _deliver(waiting: Sequence[Notification], delivery: Delivery, claimed_at: datetime) -> None:
    """Send a claimed batch (outside any transaction) and record it."""
    sendable = [n for n in waiting if n.user.is_active and n.user.email]
    try:
        _send(sendable, delivery, give_up_before=timezone.now() - EMAIL_GIVE_UP_AFTER)
    except Exception:  # the server failed: what went is recorded, the rest waits for a drain
        logger.exception("Notification emails: the SMTP server failed; the rest wait for a drain.")
    addressed = {n.pk for n in sendable}
    delivery.dropped += [n.pk for n in waiting if n.pk not in addressed]
    _record(delivery, claimed_at, sent_at=timezone.now())


def _send(
    notifications: Sequence[Notification], delivery: Delivery, *, give_up_before: datetime
) -> None:
    """Each message over one connection. A recipient refused leaves the connection usable: for
    good (5xx), its notification is dropped; for now (4xx), it waits for the next drain, unless
    the notification was made before ``give_up_before``. Any other failure (the connection)
    raises, ``delivery`` holding what went before it."""
    if not notifications:
        return
    made = {n.pk: n.creation for n in notifications}
    messages = [(n.pk, _email(n)) for n in notifications]
    with get_connection() as mail:  # opened once
        for pk, message in messages:
            try:
                mail.send_messages([message])
            except smtplib.SMTPRecipientsRefused as refused:
                logger.warning("Notification %s: its address was refused: %s", pk, refused)
                if _for_good(refused) or made[pk] < give_up_before:
                    delivery.dropped.append(pk)
                continue
            delivery.sent.append(pk)


def _for_good(refused: smtplib.SMTPRecipientsRefused) -> bool:
    """Every recipient refused with a permanent (5xx) answer: retrying will not help."""
    return all(code >= 500 for code, _text in refused.recipients.values())


def _record(delivery: Delivery, claimed_at: datetime, *, sent_at: datetime) -> None:
    """One UPDATE of the batch's rows this claim still holds: those sent stamped ``emailed_at``,
    those sent or dropped no longer waiting, every one released."""
    done = delivery.sent + delivery.dropped
    Notification.objects.filter(pk__in=delivery.claimed, email_claimed_at=claimed_at).update(
        email_pending=Case(
            When(pk__in=done, then=Value(False)), default=Value(True), output_field=BooleanField()
        ),
        emailed_at=Case(
            When(pk__in=delivery.sent, then=Value(sent_at)),
            default=None,
            output_field=DateTimeField(),
        ),
        email_claimed_at=None,
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
