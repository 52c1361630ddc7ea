"""Telling users what happened: ``notify`` (one) and ``notify_many`` (a batch, for jobs).

Every app above calls these; nothing here knows about opportunities. What also goes by email,
by the user's choice, is sent from the durable job ledger (core.jobs), keyed by the
notification, so a retried job never sends it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from opportune.notifications.models import Notification

if TYPE_CHECKING:
    from opportune.core.users import User


@dataclass(frozen=True)
class Message:
    """One notification to write: to ``user_id``, of ``kind`` (Notification.Kind)."""

    user_id: int
    kind: str
    subject: str
    body: str = ""
    link: str = ""
    reference_type: str = ""
    reference_name: str = ""
    key: str = ""  # the idempotency key; "" for none


def notify(
    user: User,
    *,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    reference_type: str = "",
    reference_name: str = "",
    key: str = "",
    now: datetime | None = None,
) -> None:
    """Tell ``user`` (in the bell; by email too when the user chose so for ``kind``). A second
    call with the same ``key`` adds nothing. An inactive user is not told."""
    message = Message(
        user_id=user.pk,
        kind=kind,
        subject=subject,
        body=body,
        link=link,
        reference_type=reference_type,
        reference_name=reference_name,
        key=key,
    )
    notify_many([message], now=now)


def notify_many(messages: Sequence[Message], *, now: datetime | None = None) -> int:
    """Write a batch of notifications in one INSERT (existing keys skipped); answers how many
    were asked for. Inactive users are skipped."""
    if not messages:
        return 0
    now = now or timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=m.user_id,
                kind=m.kind,
                subject=m.subject[:300],
                body=m.body,
                link=m.link,
                reference_type=m.reference_type,
                reference_name=m.reference_name,
                key=m.key,
                creation=now,
            )
            for m in messages
        ],
        ignore_conflicts=True,
    )
    return len(messages)
