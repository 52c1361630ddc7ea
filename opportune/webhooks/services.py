"""The webhook engine's operations: emit an event (write the outbox in the caller's
transaction), send a delivery (claim, POST signed, record), the sweeper's retries, and the
managers' webhooks. docs/decisions/0024-webhooks.md.

Sending, at least once: ``emit`` writes one Queued delivery per subscribed webhook in the
transaction of the change; once it commits, each is handed to the durable job ``webhooks.send``
(core.jobs). That job *claims* the delivery (Queued -> Sending, ``attempts`` + 1) and, once the
claim is committed, POSTs it outside any database transaction, then records the answer: Sent on a
2xx, else Queued again with a backoff, or Failed after ``WEBHOOKS_MAX_ATTEMPTS``. The sweeper
``webhooks.send_due`` (every minute) hands the deliveries whose backoff is over, and puts back
those left Sending by a worker that stopped (a receiver may then see one twice: it dedupes on
``X-Opportune-Delivery``)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from opportune.core.documents import lock_versioned
from opportune.core.errors import ConflictError, FieldErrors
from opportune.core.jobs import enqueue_job
from opportune.core.users import User
from opportune.webhooks import guard, registry
from opportune.webhooks.models import Webhook, WebhookDelivery

SEND_JOB = "webhooks.send"
MAX_BODY = 2000  # characters of the receiver's answer kept
MAX_LOG = 20  # attempts kept in a delivery's log
STALE_SENDING = timedelta(minutes=5)
SWEEP_BATCH = 500
SIGNATURE_HEADER = "X-Opportune-Signature"
USER_AGENT = "Opportune-Webhooks/1"


# --- who listens: the enabled webhooks, kept per process -----------------------------------------
_subscriptions: tuple[float, list[tuple[int, frozenset[str]]]] | None = None


def forget_subscriptions(*, now_empty: bool = False) -> None:
    """After a webhook changed: the next ``emit`` reads them again (``now_empty``: take it
    that there are none, without reading; what the tests start with)."""
    global _subscriptions
    _subscriptions = (time.monotonic(), []) if now_empty else None


def subscribers(event: str) -> list[int]:
    """The ids of the enabled webhooks for ``event``: no query while the list read less than
    ``WEBHOOKS_SUBSCRIPTIONS_TTL`` seconds ago is kept (this process forgets it at once when it
    changes a webhook; other processes read it again after that time)."""
    global _subscriptions
    cached = _subscriptions
    if cached is None or time.monotonic() - cached[0] > settings.WEBHOOKS_SUBSCRIPTIONS_TTL:
        rows = Webhook.objects.filter(enabled=True).values_list("pk", "events")
        cached = (time.monotonic(), [(pk, frozenset(events or ())) for pk, events in rows])
        _subscriptions = cached
    return [pk for pk, events in cached[1] if event in events]


# --- emitting -------------------------------------------------------------------------------------
def emit(
    event: str,
    document: Model,
    *,
    change: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Queue ``event`` about ``document`` for every webhook that listens to it, in the caller's
    transaction (a rolled back change sends nothing). Costs nothing when none listens; else the
    document's payload and one INSERT. Returns how many deliveries were queued."""
    webhook_ids = subscribers(event)
    if not webhook_ids:
        return 0
    payload: dict[str, Any] = {
        "event": event,
        "occurred_at": (now or timezone.now()).isoformat(),
        "data": registry.payload_of(document),
    }
    if change:
        payload["change"] = dict(change)
    return len(_queue(webhook_ids, event, _json_ready(payload), now=now))


def _json_ready(payload: dict[str, Any]) -> dict[str, Any]:
    """Dates, decimals and the like as the API writes them."""
    loaded: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return loaded


def _queue(
    webhook_ids: list[int], event: str, payload: dict[str, Any], *, now: datetime | None
) -> list[WebhookDelivery]:
    now = now or timezone.now()
    rows = [
        WebhookDelivery(
            webhook_id=pk, event=event, payload=payload, next_attempt_at=now, created=now
        )
        for pk in webhook_ids
    ]
    WebhookDelivery.objects.bulk_create(rows)
    transaction.on_commit(partial(_hand_all, [(row.pk, 0, now) for row in rows]))
    return rows


def _hand_all(due: list[tuple[int, int, datetime]]) -> None:
    for pk, attempts, at in due:
        _hand(pk, attempts, at)


def _hand(pk: int, attempts: int, at: datetime) -> None:
    """One job per delivery, attempt and due time (the key refuses a second)."""
    key = f"{SEND_JOB}:{pk}:{attempts}:{at.timestamp():.6f}"
    enqueue_job(SEND_JOB, key=key, delivery_id=pk, attempt=attempts)


# --- sending --------------------------------------------------------------------------------------
def claim_delivery(*, delivery_id: int, attempt: int, now: datetime | None = None) -> bool:
    """Queued -> Sending for attempt ``attempt + 1`` (in the job's transaction); the POST runs
    once that commits. False when the delivery is not waiting for that attempt."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.QUEUED, attempts=attempt
    ).update(status=WebhookDelivery.Status.SENDING, attempts=attempt + 1, claimed_at=now)
    if claimed:
        transaction.on_commit(partial(post_delivery, delivery_id=delivery_id, attempt=attempt + 1))
    return bool(claimed)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body with the secret>`` (as Stripe)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_delivery(*, delivery_id: int, attempt: int) -> str:
    """POST the claimed attempt (outside any transaction) and record the answer. Answers
    ``"sent"``, ``"queued"`` (to be tried again), ``"failed"`` or ``"skipped"``."""
    delivery = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.SENDING, attempts=attempt
        )
        .select_related("webhook")
        .first()
    )
    if delivery is None:
        return "skipped"
    started = time.monotonic()
    code: int | None = None
    body, error = "", ""
    if not delivery.webhook.enabled:
        error = "The webhook is disabled."
    else:
        try:
            code, body = _post(delivery)
        except guard.UnsafeUrl as exc:
            error = str(exc)
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
    if code is not None and not 200 <= code < 300:
        error = f"The receiver answered {code}."
    millis = int((time.monotonic() - started) * 1000)
    return _record(delivery, code=code, body=body, error=error, millis=millis)


def _post(delivery: WebhookDelivery) -> tuple[int, str]:
    target = guard.resolve(delivery.webhook.url)
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Opportune-Event": delivery.event,
        "X-Opportune-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(delivery.webhook.secret, timestamp, body),
    }
    conn = guard.connection(target, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(MAX_BODY * 4).decode("utf-8", "replace")[:MAX_BODY]
        return response.status, text
    finally:
        conn.close()


def retry_delay(attempts: int) -> timedelta:
    """Before attempt ``attempts + 1``: WEBHOOKS_RETRY_SECONDS doubled at each attempt, at most
    an hour."""
    delay = timedelta(seconds=settings.WEBHOOKS_RETRY_SECONDS * 2 ** min(attempts - 1, 12))
    return min(delay, timedelta(hours=1))


def _record(
    delivery: WebhookDelivery, *, code: int | None, body: str, error: str, millis: int
) -> str:
    now = timezone.now()
    entry = {
        "attempt": delivery.attempts,
        "at": now.isoformat(),
        "response_status": code,
        "error": error[:500],
        "duration_ms": millis,
    }
    changes: dict[str, Any] = {
        "response_status": code,
        "response_body": body,
        "last_error": error[:2000],
        "claimed_at": None,
        "log": [*delivery.log, entry][-MAX_LOG:],
    }
    if not error:
        outcome = "sent"
        changes.update(status=WebhookDelivery.Status.SENT, sent_at=now, next_attempt_at=None)
    elif delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        outcome = "failed"
        changes.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    else:
        outcome = "queued"
        changes.update(
            status=WebhookDelivery.Status.QUEUED,
            next_attempt_at=now + retry_delay(delivery.attempts),
        )
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.SENDING, attempts=delivery.attempts
    ).update(**changes)
    return outcome


# --- the sweeper ----------------------------------------------------------------------------------
def send_due_deliveries(*, now: datetime | None = None) -> dict[str, int]:
    """What runs every minute: deliveries left Sending by a stopped worker count that attempt
    as failed; Queued deliveries whose backoff is over are handed to the queue."""
    now = now or timezone.now()
    released = _release_stale(now)
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.QUEUED, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    rows = list(due.values_list("pk", "attempts", "next_attempt_at")[:SWEEP_BATCH])
    for pk, attempts, at in rows:
        _hand(pk, attempts, at or now)
    return {"released": released, "handed": len(rows)}


def _release_stale(now: datetime) -> int:
    stale = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STALE_SENDING
    ).select_related("webhook")
    released = 0
    for delivery in stale[:SWEEP_BATCH]:
        _record(
            delivery,
            code=None,
            body="",
            error="The attempt stopped half-way (its worker stopped); the receiver may have it.",
            millis=0,
        )
        released += 1
    return released


def retry_delivery(delivery: WebhookDelivery, *, by: User, now: datetime | None = None) -> Any:
    """One more attempt now for a Failed (or Sent) delivery; a Queued one is sent now."""
    now = now or timezone.now()
    if delivery.status == WebhookDelivery.Status.SENDING:
        raise ConflictError("This delivery is being sent now.", fields={"status": ["is Sending"]})
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, status=delivery.status).update(
            status=WebhookDelivery.Status.QUEUED, next_attempt_at=now
        )
        transaction.on_commit(partial(_hand, delivery.pk, delivery.attempts, now))
    delivery.refresh_from_db()
    return delivery


def send_test(webhook: Webhook, *, by: User, now: datetime | None = None) -> WebhookDelivery:
    """A ``ping`` to the webhook (enabled or not: a disabled one records that it is)."""
    now = now or timezone.now()
    payload = {
        "event": registry.PING,
        "occurred_at": now.isoformat(),
        "data": {"webhook": webhook.name, "sent_by": by.get_username()},
    }
    with transaction.atomic():
        (delivery,) = _queue([webhook.pk], registry.PING, payload, now=now)
    return delivery


# --- webhooks (managers) --------------------------------------------------------------------------
FIELDS = ("name", "url", "events", "enabled", "description", "secret")


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _apply(webhook: Webhook, data: Mapping[str, Any]) -> None:
    errors = FieldErrors()
    for name in sorted(set(data) - set(FIELDS)):
        errors.add(name, "Unknown field.")
    for name, value in data.items():
        if name in FIELDS and value is not None:
            setattr(webhook, name, value)  # the secret's setter encrypts
    webhook.name = webhook.name.strip()
    if not webhook.name:
        errors.add("name", "A name is needed.")
    elif Webhook.objects.filter(name=webhook.name).exclude(pk=webhook.pk).exists():
        errors.add("name", f"A webhook is named '{webhook.name[:100]}' already.")
    if "url" in data or webhook.pk is None:
        try:
            guard.resolve(webhook.url)
        except guard.UnsafeUrl as exc:
            errors.add("url", str(exc))
    known = registry.events()
    events = webhook.events if isinstance(webhook.events, list) else []
    unknown = [e for e in events if e not in known]
    if unknown:
        errors.add("events", f"Unknown events: {', '.join(str(e)[:60] for e in unknown[:5])}.")
    elif not events:
        errors.add("events", "Choose at least one event.")
    webhook.events = list(dict.fromkeys(events))
    if "secret" in data and len(str(data["secret"] or "")) < 16:
        errors.add("secret", "A secret has at least 16 characters.")
    errors.raise_if_any()


def create_webhook(*, data: Mapping[str, Any], by: User) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (answered once: given, or made here)."""
    webhook = Webhook(owner=by)
    secret = str(data.get("secret") or new_secret())
    _apply(webhook, {**data, "secret": secret})
    webhook.save()
    forget_subscriptions()
    transaction.on_commit(forget_subscriptions)
    return webhook, secret


def update_webhook(
    webhook: Webhook, *, data: Mapping[str, Any], version: int | None, by: User
) -> Webhook:
    with transaction.atomic():
        locked = lock_versioned(
            Webhook, webhook.pk, expected_version=version, doctype="Webhook", name=webhook.name
        )
        _apply(locked, data)
        locked.modified = timezone.now()
        locked.save()
    forget_subscriptions()
    transaction.on_commit(forget_subscriptions)
    return locked


def delete_webhook(webhook: Webhook, *, by: User) -> None:
    webhook.delete()  # its deliveries with it
    forget_subscriptions()
    transaction.on_commit(forget_subscriptions)
