"""The email engine's operations: queue an email (the outbox), send it once, take one in and
thread it onto its document. Apps above register what is theirs in ``comms.registry``.

Sending, at most once (docs/decisions/0016-email-engine.md): the email is a Queued
Communication written in the caller's transaction, with a durable job ``comms.claim``. That job
*claims* it (Queued -> Sending, ``send_attempts`` + 1, committed) and asks for the job
``comms.smtp`` of that attempt, which runs at most once (one attempt, no retry): it sends over
SMTP and marks it Sent. An SMTP server that refuses or is down puts it back to Queued with a
backoff (``next_attempt_at``), and ``comms.send_due`` (every minute) claims it again. A worker
that stops between the claim and the mark leaves it Sending: ``mark_stale_sends`` then calls it
Unknown, never sends it again by itself, and the page says to check (the message kept its
Message-ID, so a receiving side that dedupes by it shows one copy even if a human resends)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from opportune.comms import registry
from opportune.comms.models import (
    Communication,
    CommunicationAttachment,
    CommunicationLink,
    EmailAccount,
    new_token,
)
from opportune.comms.parsing import ParsedMessage, format_address, parse_message
from opportune.core.documents import lock_versioned
from opportune.core.errors import FieldErrors, ValidationError
from opportune.core.jobs import enqueue_job
from opportune.core.models import Job
from opportune.core.users import User

CLAIM_JOB = "comms.claim"
SMTP_JOB = "comms.smtp"
SMTP_LEASE_SECONDS = 300
SMTP_TIMEOUT = 30
MAX_SEND_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
STALE_SENDING = timedelta(seconds=SMTP_LEASE_SECONDS) + timedelta(minutes=5)
MAX_RECIPIENTS = 50
MAX_CONTENT = 200_000
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
TAG = re.compile(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]")


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes


# --- sending ------------------------------------------------------------------------------------
def default_account() -> EmailAccount | None:
    return EmailAccount.objects.filter(default_outgoing=True).first()


def _addresses(value: Sequence[str] | str, field: str, errors: FieldErrors) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        for address in (a.strip() for a in str(item).split(",")):
            if not address:
                continue
            try:
                validate_email(address)
            except DjangoValidationError:
                errors.add(field, f"'{address[:100]}' is not an email address.")
                continue
            out.append(address)
    if len(out) > MAX_RECIPIENTS:
        errors.add(field, f"At most {MAX_RECIPIENTS} addresses.")
    return out


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"


def queue_email(
    *,
    reference_doctype: str,
    reference_name: str,
    recipients: Sequence[str] | str,
    subject: str,
    content: str,
    cc: Sequence[str] | str = (),
    attachments: Sequence[OutgoingAttachment] = (),
    by: User | None,
    account: EmailAccount | None = None,
    now: datetime | None = None,
) -> Communication:
    """Put an email about the document in the outbox, in the caller's transaction, with the
    job that sends it once that commits; the document's app applies its effects (registry)."""
    errors = FieldErrors()
    to = _addresses(recipients, "recipients", errors)
    bad_recipients = bool(errors)
    copy = _addresses(cc, "cc", errors)
    if not to and not bad_recipients:
        errors.add("recipients", "At least one recipient.")
    subject = " ".join((subject or "").split())
    if not subject:
        errors.add("subject", "A subject is needed.")
    elif len(subject) > 900:
        errors.add("subject", "At most 900 characters.")
    if not (content or "").strip():
        errors.add("content", "The email is empty.")
    elif len(content) > MAX_CONTENT:
        errors.add("content", f"At most {MAX_CONTENT} characters.")
    if len(attachments) > MAX_ATTACHMENTS:
        errors.add("attachments", f"At most {MAX_ATTACHMENTS} files.")
    elif any(len(a.data) > MAX_ATTACHMENT_BYTES for a in attachments):
        errors.add("attachments", "A file is larger than 10 MB.")
    errors.raise_if_any()
    now = now or timezone.now()
    account = account or default_account()
    sender = account.email_id if account is not None else settings.DEFAULT_FROM_EMAIL
    token = new_token()
    last_received = (
        Communication.objects.filter(
            reference_doctype=reference_doctype,
            reference_name=reference_name,
            sent_or_received=Communication.Direction.RECEIVED,
        )
        .order_by("-communication_date", "-pk")
        .values_list("message_id", "references")
        .first()
    )
    in_reply_to, references = "", ""
    if last_received is not None and reference_name:
        in_reply_to = last_received[0]
        references = " ".join([*last_received[1].split()[-10:], last_received[0]])
    with transaction.atomic():
        communication = Communication.objects.create(
            reference_doctype=reference_doctype if reference_name else "",
            reference_name=reference_name,
            sent_or_received=Communication.Direction.SENT,
            status=Communication.Status.QUEUED,
            email_account=account,
            subject=subject,
            sender=sender,
            sender_full_name=(by.get_full_name() or by.get_username()) if by else "",
            recipients=", ".join(to),
            cc=", ".join(copy),
            text_content=content.replace("\r\n", "\n"),
            message_id=f"<opportune.{token}@{_domain(sender)}>",
            in_reply_to=in_reply_to,
            references=references,
            routing_token=token,
            owner=by,
            communication_date=now,
            creation=now,
            next_attempt_at=now,
        )
        for attachment in attachments:
            CommunicationAttachment.objects.create(
                communication=communication,
                file=ContentFile(attachment.data, name=attachment.filename[-100:] or "file"),
                filename=attachment.filename[:255] or "file",
                content_type=attachment.content_type[:255],
                size=len(attachment.data),
            )
        registry.on_sent(communication)
        enqueue_job(
            CLAIM_JOB, key=f"{CLAIM_JOB}:{communication.pk}:0", communication_id=communication.pk
        )
    return communication


def claim_for_sending(*, communication_id: int, now: datetime | None = None) -> bool:
    """Queued -> Sending for one attempt (in the job's transaction), and ask for that attempt's
    SMTP job. False when it is not Queued (sent, being sent, or given up)."""
    now = now or timezone.now()
    communication = (
        Communication.objects.select_for_update()
        .filter(pk=communication_id, status=Communication.Status.QUEUED)
        .first()
    )
    if communication is None:
        return False
    attempt = communication.send_attempts + 1
    Communication.objects.filter(pk=communication.pk).update(
        status=Communication.Status.SENDING, claimed_at=now, send_attempts=attempt
    )
    enqueue_job(
        SMTP_JOB,
        key=f"{SMTP_JOB}:{communication.pk}:{attempt}",
        communication_id=communication.pk,
        attempt=attempt,
    )
    return True


def retry_delay(attempt: int) -> timedelta:
    delay: timedelta = RETRY_BASE * 2 ** min(attempt - 1, 10)
    return min(delay, timedelta(hours=1))


def deliver(*, communication_id: int, attempt: int, now: datetime | None = None) -> str:
    """Send the claimed attempt over SMTP and mark it Sent; on an SMTP failure put it back to
    Queued (backoff) or, after the last attempt, to Error. Answers what happened."""
    communication = (
        Communication.objects.filter(
            pk=communication_id, status=Communication.Status.SENDING, send_attempts=attempt
        )
        .select_related("email_account")
        .first()
    )
    if communication is None:
        return "skipped"
    mine = Communication.objects.filter(
        pk=communication_id, status=Communication.Status.SENDING, send_attempts=attempt
    )
    try:
        _message(communication).send()
    except (smtplib.SMTPException, OSError) as exc:
        now = now or timezone.now()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempt >= MAX_SEND_ATTEMPTS:
            mine.update(status=Communication.Status.ERROR, last_error=error, claimed_at=None)
            return "error"
        mine.update(
            status=Communication.Status.QUEUED,
            last_error=error,
            claimed_at=None,
            next_attempt_at=now + retry_delay(attempt),
        )
        return "queued"
    mine.update(
        status=Communication.Status.SENT,
        sent_at=now or timezone.now(),
        last_error="",
        next_attempt_at=None,
    )
    return "sent"


def _connection(account: EmailAccount | None) -> BaseEmailBackend:
    if account is None or not account.smtp_host:  # the default server: EMAIL_URL
        default: BaseEmailBackend = get_connection()
        return default
    connection: BaseEmailBackend = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=account.smtp_host,
        port=account.smtp_port,
        username=account.smtp_user or None,
        password=account.smtp_password or None,
        use_tls=account.smtp_use_starttls and not account.smtp_use_ssl,
        use_ssl=account.smtp_use_ssl,
        timeout=SMTP_TIMEOUT,
    )
    return connection


def routing_address(communication: Communication) -> str:
    local, _, domain = communication.sender.partition("@")
    return f"{local}+{communication.routing_token}@{domain}" if domain else ""


def _message(communication: Communication) -> EmailMessage:
    headers = {"Message-ID": communication.message_id}
    if communication.in_reply_to:
        headers["In-Reply-To"] = communication.in_reply_to
        headers["References"] = communication.references or communication.in_reply_to
    reply_to = routing_address(communication)
    subject, tag = communication.subject, f"[{communication.reference_name}]"
    if communication.reference_name and tag not in subject:
        subject = f"{subject} {tag}"  # threads a reply whose other headers were lost
    message = EmailMessage(
        subject=subject,
        body=communication.text_content,
        from_email=format_address(communication.sender, communication.sender_full_name),
        to=communication.recipient_list,
        cc=communication.cc_list,
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
        connection=_connection(communication.email_account),
    )
    for attachment in communication.attachments.all():
        with attachment.file.open("rb") as handle:
            message.attach(attachment.filename, handle.read(), attachment.content_type or None)
    return message


def enqueue_due_sends(*, now: datetime | None = None) -> int:
    """Queued emails whose backoff is over, claimed again (the job key makes it once per
    attempt)."""
    now = now or timezone.now()
    due = Communication.objects.filter(
        status=Communication.Status.QUEUED, next_attempt_at__lte=now
    ).values_list("pk", "send_attempts")[:500]
    for pk, attempts in due:
        enqueue_job(CLAIM_JOB, key=f"{CLAIM_JOB}:{pk}:{attempts}", communication_id=pk)
    return len(due)


def mark_stale_sends(*, now: datetime | None = None) -> int:
    """An email left Sending by an attempt that started and stopped (its worker died between
    the claim and the mark): Unknown, never resent by itself. An attempt whose SMTP job has
    not started yet (the queue is down) is left to run."""
    now = now or timezone.now()
    stale = Communication.objects.filter(
        status=Communication.Status.SENDING, claimed_at__lt=now - STALE_SENDING
    ).values_list("pk", "send_attempts")[:500]
    marked = 0
    for pk, attempt in stale:
        job = Job.objects.filter(key=f"{SMTP_JOB}:{pk}:{attempt}").first()
        if job is not None and (job.attempts == 0 or job.status == Job.Status.RUNNING):
            continue
        marked += Communication.objects.filter(
            pk=pk, status=Communication.Status.SENDING, send_attempts=attempt
        ).update(
            status=Communication.Status.UNKNOWN,
            last_error=(
                "The sending stopped half-way: the email may or may not have left. "
                "It is not sent again by itself; check with the recipient."
            ),
        )
    return marked


# --- receiving ----------------------------------------------------------------------------------
def _thread(parsed: ParsedMessage, account: EmailAccount | None) -> tuple[str, str]:
    """The document a message belongs to: In-Reply-To / References, then a routing address or
    a subject tag, then the sender's address; else a new document when the account says so."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids:
        known = {
            message_id: (doctype, name)
            for message_id, doctype, name in Communication.objects.filter(message_id__in=ids[:50])
            .exclude(reference_name="")
            .values_list("message_id", "reference_doctype", "reference_name")
        }
        for message_id in ids:
            if message_id in known:
                return known[message_id]
    tokens = [
        a.split("@", 1)[0].split("+", 1)[1]
        for a in [*parsed.to, *parsed.cc, *parsed.delivered_to]
        if "+" in a.split("@", 1)[0]
    ]
    if tokens:
        routed = (
            Communication.objects.filter(routing_token__in=tokens[:20])
            .exclude(reference_name="")
            .values_list("reference_doctype", "reference_name")
            .first()
        )
        if routed is not None:
            return routed
    for name in TAG.findall(parsed.subject):
        found = registry.resolve_name(name)
        if found is not None:
            return found
    if parsed.sender:
        matched = registry.match_sender(parsed.sender)
        if matched is not None:
            return matched
        if (
            account is not None
            and account.create_lead_for_unknown_sender
            and not parsed.is_automatic
        ):
            made = registry.create_for_sender(parsed.sender, parsed.sender_name)
            if made is not None:
                return made
    return "", ""


def ingest_email(
    raw: bytes, *, account: EmailAccount | None = None, now: datetime | None = None
) -> tuple[Communication, bool]:
    """Take one raw message in: (its Communication, True) when new; a Message-ID seen before
    gives the one kept then and False (nothing is taken in twice)."""
    parsed = parse_message(raw)
    known = Communication.objects.filter(message_id=parsed.message_id).first()
    if known is not None:
        return known, False
    now = now or timezone.now()
    try:
        with transaction.atomic():
            doctype, name = _thread(parsed, account)
            communication = Communication.objects.create(
                reference_doctype=doctype,
                reference_name=name,
                sent_or_received=Communication.Direction.RECEIVED,
                status=Communication.Status.RECEIVED,
                email_account=account,
                subject=parsed.subject,
                sender=parsed.sender,
                sender_full_name=parsed.sender_name,
                recipients=", ".join(parsed.to)[:10000],
                cc=", ".join(parsed.cc)[:10000],
                text_content=parsed.text,
                html_content=parsed.html,
                html_quoted=parsed.html_quoted,
                message_id=parsed.message_id,
                in_reply_to=" ".join(parsed.in_reply_to)[:998],
                references=" ".join(parsed.references[-20:]),
                is_automatic=parsed.is_automatic,
                communication_date=min(parsed.date, now) if parsed.date else now,
                creation=now,
            )
            CommunicationAttachment.objects.bulk_create(
                [
                    CommunicationAttachment(
                        communication=communication,
                        file=_stored(a.filename, a.data),
                        filename=a.filename,
                        content_type=a.content_type,
                        size=len(a.data),
                        content_id=a.content_id,
                    )
                    for a in parsed.attachments[:50]
                ]
            )
            if name and not parsed.is_automatic:
                registry.on_received(communication)
    except IntegrityError:  # the same message taken in at the same moment by another worker
        known = Communication.objects.filter(message_id=parsed.message_id).first()
        if known is None:
            raise
        return known, False
    return communication, True


def _stored(filename: str, data: bytes) -> str:
    from django.core.files.storage import default_storage

    from opportune.comms.models import attachment_path

    return default_storage.save(attachment_path(None, filename or "file"), ContentFile(data))  # type: ignore[arg-type]


def account_by_name(name: str) -> EmailAccount:
    account = EmailAccount.objects.filter(Q(name=name) | Q(email_id__iexact=name)).first()
    if account is None:
        raise ValidationError.for_field("account", f"No email account is named '{name[:100]}'.")
    return account


def emails_on(doctype: str, name: str) -> Q:
    """The emails shown on a document: its own (``reference_*``, where threading sends them)
    and those linked to it (``link_thread``), as one condition (a subquery, no join)."""
    linked = CommunicationLink.objects.filter(link_doctype=doctype, link_name=name)
    return Q(reference_doctype=doctype, reference_name=name) | Q(
        pk__in=linked.values("communication_id")
    )


def thread_of(doctype: str, name: str, *, pk: int | None = None) -> list[Communication]:
    """The emails of a document, its own and those linked to it, oldest first (or only the
    one ``pk``)."""
    rows = Communication.objects.filter(emails_on(doctype, name))
    if pk is not None:
        rows = rows.filter(pk=pk)
    return list(
        rows.select_related("owner")
        .prefetch_related("attachments")
        .order_by("communication_date", "pk")
    )


def link_thread(*, from_doctype: str, from_name: str, to_doctype: str, to_name: str) -> int:
    """Show every email of one document (its own and those linked to it) on another too: the
    lead's emails on the opportunity made from it (ERPNext links them, it does not copy; a
    Message-ID is unique anyway). Replies still thread where they did. One read, one INSERT
    (a link that exists already is kept); the number of emails read."""
    ids = list(
        Communication.objects.filter(emails_on(from_doctype, from_name))
        .exclude(reference_doctype=to_doctype, reference_name=to_name)
        .values_list("pk", flat=True)
    )
    CommunicationLink.objects.bulk_create(
        [
            CommunicationLink(communication_id=pk, link_doctype=to_doctype, link_name=to_name)
            for pk in ids
        ],
        ignore_conflicts=True,
    )
    return len(ids)


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


# --- email accounts (managers) ------------------------------------------------------------------
ACCOUNT_FIELDS = (
    "name",
    "email_id",
    "smtp_host",
    "smtp_port",
    "smtp_use_ssl",
    "smtp_use_starttls",
    "smtp_user",
    "smtp_password",
    "imap_host",
    "imap_port",
    "imap_use_ssl",
    "imap_user",
    "imap_password",
    "imap_folder",
    "enable_incoming",
    "create_lead_for_unknown_sender",
    "default_outgoing",
)


def _apply_account(account: EmailAccount, data: dict[str, object]) -> None:
    errors = FieldErrors()
    unknown = sorted(set(data) - set(ACCOUNT_FIELDS))
    for name in unknown:
        errors.add(name, "Unknown field.")
    for name, value in data.items():
        if name in unknown or value is None:
            continue
        setattr(account, name, value)  # the password setters encrypt
    if not account.name.strip():
        errors.add("name", "A name is needed.")
    elif EmailAccount.objects.filter(name=account.name).exclude(pk=account.pk).exists():
        errors.add("name", f"An email account is named '{account.name[:100]}' already.")
    try:
        validate_email(account.email_id)
    except DjangoValidationError:
        errors.add("email_id", "Not an email address.")
    for port in ("smtp_port", "imap_port"):
        if not 0 < int(getattr(account, port)) < 65536:
            errors.add(port, "A port is 1 to 65535.")
    if account.enable_incoming and not account.imap_host:
        errors.add("imap_host", "Incoming mail needs an IMAP server.")
    errors.raise_if_any()


def create_email_account(*, data: dict[str, object], by: User) -> EmailAccount:
    account = EmailAccount()
    _apply_account(account, data)
    with transaction.atomic():
        if account.default_outgoing:
            EmailAccount.objects.filter(default_outgoing=True).update(default_outgoing=False)
        account.save()
    return account


def update_email_account(
    account: EmailAccount, *, data: dict[str, object], version: int | None, by: User
) -> EmailAccount:
    with transaction.atomic():
        locked = lock_versioned(
            EmailAccount,
            account.pk,
            expected_version=version,
            doctype="Email Account",
            name=account.name,
        )
        _apply_account(locked, data)
        if locked.default_outgoing:
            EmailAccount.objects.filter(default_outgoing=True).exclude(pk=locked.pk).update(
                default_outgoing=False
            )
        if {"imap_host", "imap_user", "imap_folder"} & set(data):
            locked.uidvalidity, locked.last_uid = None, 0  # another mailbox: from its start
        locked.save()
    return locked


def delete_email_account(account: EmailAccount, *, by: User) -> None:
    account.delete()  # its emails stay, without their account
