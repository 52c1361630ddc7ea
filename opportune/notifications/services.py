"""Telling users what happened: ``notify`` (one), ``notify_many`` (a batch, for jobs) and
``notify_mentions`` (the ``@username`` of a comment); marking notifications read; each user's
choice of what also comes by email.

Every app above calls these; nothing here knows about opportunities. What also goes by email,
by the user's choice, is written with ``email_pending`` in the same INSERT, and the durable job
of its time bucket sends it with the others waiting (outbox.py, decision 0043): one job and one
SMTP connection for many emails, each recorded sent in the job's transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from opportune.core.errors import ValidationError
from opportune.core.statements import Placeholders, fetch, insert_unless_taken
from opportune.notifications.emails import one_line
from opportune.notifications.models import EMAIL_BY_DEFAULT, Notification, NotificationSetting
from opportune.notifications.outbox import queue_email_drain

if TYPE_CHECKING:
    from opportune.core.users import User

T = TypeVar("T")

# Lookups by lists of keys or ids go in chunks (SQLite takes 999 parameters a query).
CHUNK = 900
# At most this many different @usernames of one text are looked up.
MAX_MENTIONS = 50
EXCERPT = 500


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
    if user.is_active:  # the caller's user is read in this request: no query for the inactive
        _write_one(message, now or timezone.now(), addressed=_addressed(user))


def _addressed(user: User) -> bool:
    """Whether ``user`` has an email address, as far as known without a query: a user read
    without it (the assignment rules' rota) may have one (the email job finds out)."""
    return "email" in user.get_deferred_fields() or bool(user.email)


def notify_many(messages: Sequence[Message], *, now: datetime | None = None) -> int:
    """Write a batch of notifications; answers how many were asked for. Inactive users are
    skipped; a message whose key was already written (or comes twice in the batch) adds nothing.
    Each new notification whose user wants its kind by email is written waiting for its email,
    and the drain of the time bucket is asked for (outbox.py).

    Set-based: a query for the inactive users, then a few per 900 messages (the keys already
    written, the users' email choices, the INSERT), whatever the batch."""
    if not messages:
        return 0
    now = now or timezone.now()
    inactive = set(get_user_model().objects.filter(is_active=False).values_list("pk", flat=True))
    _write([m for m in messages if m.user_id not in inactive], now)
    return len(messages)


def _write(messages: Sequence[Message], now: datetime) -> None:
    """The messages of active users not written yet, those wanting an email marked so."""
    batch = _unwritten(messages)
    if batch:
        wanted = {m.key for m in _wanting_email(batch)}
        Notification.objects.bulk_create(
            [_notification(m, now, email_pending=m.key in wanted) for m in batch],
            ignore_conflicts=True,
        )
        if wanted:
            queue_email_drain()


def _write_one(message: Message, now: datetime, *, addressed: bool) -> None:
    """One message (``notify``): one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` tells
    whether its key was new and, read by the same statement, whether its user wants it by
    email (``_write`` reads the keys written before and the choices: two queries more). Then
    the drain of the bucket when the email is wanted (none when this process has it already)."""
    if not message.key:
        message = replace(message, key=f"auto:{uuid.uuid4().hex}")
    if _insert_new(_notification(message, now), addressed=addressed):
        queue_email_drain()


def _insert_new(notification: Notification, *, addressed: bool) -> bool:
    """Insert the row unless its key is taken (the key's unique constraint: nothing written).
    Its ``email_pending`` is the user's choice for its kind (a NotificationSetting row, else
    ``EMAIL_BY_DEFAULT``), read by a subquery of the INSERT; never for a user without an
    address (``addressed``). Answers whether a row was written waiting for its email. SQL of
    both databases (SQLite 3.35+)."""
    pending: tuple[str, list[Any]] = ("%s", [False])
    if addressed:
        qn = connection.ops.quote_name
        pending = (
            f"COALESCE((SELECT {qn('email')} FROM {qn(NotificationSetting._meta.db_table)} "
            f"WHERE {qn('user_id')} = %s AND {qn('kind')} = %s), %s)",
            [
                notification.user_id,
                notification.kind,
                EMAIL_BY_DEFAULT.get(notification.kind, False),
            ],
        )
    written = insert_unless_taken(
        notification, returning="email_pending", computed={"email_pending": pending}
    )
    return bool(written)


def _notification(m: Message, now: datetime, *, email_pending: bool = False) -> Notification:
    return Notification(
        user_id=m.user_id,
        kind=m.kind,
        subject=one_line(m.subject)[:300],
        body=m.body,
        link=m.link[:300],
        reference_type=m.reference_type[:60],
        reference_name=m.reference_name[:140],
        key=m.key,
        creation=now,
        email_pending=email_pending,
    )


def _chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _unwritten(messages: Sequence[Message]) -> list[Message]:
    """The messages whose key is not written yet, each key once. A message without a key gets
    a unique one, so that every row written can be found again (for its email)."""
    by_key: dict[str, Message] = {}
    given: list[str] = []
    for m in messages:
        if m.key:
            given.append(m.key)
        else:
            m = replace(m, key=f"auto:{uuid.uuid4().hex}")
        by_key.setdefault(m.key, m)
    written: set[str] = set()
    for keys in _chunks(set(given)):
        written.update(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    return [m for key, m in by_key.items() if key not in written]


def _wanting_email(messages: Sequence[Message]) -> list[Message]:
    kinds = {m.kind for m in messages}
    chosen: dict[tuple[int, str], bool] = {}
    for users in _chunks({m.user_id for m in messages}):
        chosen.update(((u, k), e) for u, k, e in _email_choices(users, kinds))
    return [
        m for m in messages if chosen.get((m.user_id, m.kind), EMAIL_BY_DEFAULT.get(m.kind, False))
    ]


def _email_choices(users: list[int], kinds: set[str]) -> list[tuple[int, str, bool]]:
    """The users' email choices of ``kinds``: (user, kind, email) rows; for one message (a
    write's ``notify``) by a kept statement (core/statements.py)."""

    def build(v: Placeholders) -> QuerySet[Any]:
        rows = NotificationSetting.objects.filter(user_id__in=v.users, kind__in=v.kinds)
        return rows.values_list("user_id", "kind", "email")

    if len(users) == 1 and len(kinds) == 1:
        return fetch("notifications.email_choices", build, users=users, kinds=list(kinds))
    return list(build(Placeholders({"users": users, "kinds": kinds})))


# --- mentions ------------------------------------------------------------------------------------
# "@name" not inside a word or an email address; a username has letters, digits and @ . + - _
MENTION = re.compile(r"(?<![\w@.+-])@(\w[\w.@+-]*)")


def mentioned_names(text: str) -> list[str]:
    """The ``@username`` tokens of ``text``, in order, each once (lower case), with the
    punctuation that ends a sentence taken off: ``"@ada."`` is ada (``"@ada.b"`` is ada.b)."""
    names: dict[str, None] = {}
    for token in MENTION.findall(text or ""):
        name = token.rstrip(".@+-").lower()
        if name:
            names.setdefault(name, None)
    return list(names)[:MAX_MENTIONS]


def notify_mentions(
    text: str,
    *,
    reference_type: str,
    reference_name: str,
    link: str,
    by: User,
    key_prefix: str,
    visible_to: Callable[[User], bool] | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Tell each active user named ``@username`` in ``text`` (not ``by``, the author; when
    ``visible_to`` is given, only those it allows: a user who may not see the document is not
    sent its comment). Keyed ``{key_prefix}:{user id}``. Answers the usernames told."""
    names = mentioned_names(text)
    if not names:
        return []
    users = (
        get_user_model()
        .objects.annotate(lower_username=Lower("username"))
        .filter(lower_username__in=names, is_active=True)
        .exclude(pk=by.pk)
        .order_by("username")
    )
    told = [u for u in users if visible_to is None or visible_to(u)]
    author = by.get_full_name() or by.username
    excerpt = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
    notify_many(
        [
            Message(
                user_id=u.pk,
                kind=Notification.Kind.MENTION,
                subject=f"{author} mentioned you on {reference_type} {reference_name}",
                body=excerpt,
                link=link,
                reference_type=reference_type,
                reference_name=reference_name,
                key=f"{key_prefix}:{u.pk}",
            )
            for u in told
        ],
        now=now,
    )
    return [u.username for u in told]


# --- reading -------------------------------------------------------------------------------------
def mark_notification_read(notification: Notification, *, by: User) -> Notification:
    """``by``'s own notification (looked up with access.get_notification_for) is read."""
    Notification.objects.filter(pk=notification.pk, user=by, read=False).update(read=True)
    notification.read = True
    return notification


def mark_all_notifications_read(*, by: User) -> int:
    """Every unread notification of ``by`` is read; answers how many were unread."""
    return Notification.objects.filter(user=by, read=False).update(read=True)


# --- what comes by email --------------------------------------------------------------------------
def email_choices(user: User) -> dict[str, bool]:
    """Each kind -> whether ``user`` gets it by email too (their choice, else the default)."""
    choices = dict(EMAIL_BY_DEFAULT)
    rows = NotificationSetting.objects.filter(user=user).values_list("kind", "email")
    choices.update((kind, email) for kind, email in rows if kind in choices)
    return choices


def set_email_choices(*, choices: Mapping[str, bool], by: User) -> dict[str, bool]:
    """``by`` chooses which kinds also come by email (the kinds not named keep their choice).
    An unknown kind is refused, naming it."""
    unknown = sorted(set(choices) - set(Notification.Kind.values))
    if unknown:
        raise ValidationError(
            "Unknown kind of notification.",
            fields={kind: ["Not a kind of notification."] for kind in unknown},
        )
    NotificationSetting.objects.bulk_create(
        [NotificationSetting(user=by, kind=k, email=bool(v)) for k, v in choices.items()],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["email"],
    )
    return email_choices(by)
