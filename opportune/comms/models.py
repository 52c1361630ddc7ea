"""Email: accounts (SMTP out, IMAP in), and every message sent or received as a Communication
on a document (``reference_doctype`` / ``reference_name``, as activities.Event), with its
attachments. The outbox is the Communication's ``status`` (Queued -> Sending -> Sent)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from opportune.comms.crypto import decrypt, encrypt


def new_token() -> str:
    return secrets.token_hex(12)


class EmailAccount(models.Model):
    """A mailbox: SMTP to send from ``email_id``, IMAP to read it (ERPNext's Email Account)."""

    name = models.CharField(max_length=140, unique=True)
    email_id = models.EmailField()
    smtp_host = models.CharField(max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(default=587)
    smtp_use_ssl = models.BooleanField(default=False)
    smtp_use_starttls = models.BooleanField(default=True)
    smtp_user = models.CharField(max_length=255, blank=True)
    smtp_password_encrypted = models.TextField(blank=True, editable=False)
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_use_ssl = models.BooleanField(default=True)
    imap_user = models.CharField(max_length=255, blank=True)
    imap_password_encrypted = models.TextField(blank=True, editable=False)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    enable_incoming = models.BooleanField(default=False)
    create_lead_for_unknown_sender = models.BooleanField(default=False)
    default_outgoing = models.BooleanField(default=False)
    # What IMAP polling remembers: a new UIDVALIDITY means the UIDs start again.
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_on = models.DateTimeField(null=True, blank=True, editable=False)
    last_poll_error = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["default_outgoing"],
                condition=Q(default_outgoing=True),
                name="email_account_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email_id}>"

    @property
    def smtp_password(self) -> str:
        return decrypt(self.smtp_password_encrypted)

    @smtp_password.setter
    def smtp_password(self, value: str) -> None:
        self.smtp_password_encrypted = encrypt(value)

    @property
    def imap_password(self) -> str:
        return decrypt(self.imap_password_encrypted)

    @imap_password.setter
    def imap_password(self, value: str) -> None:
        self.imap_password_encrypted = encrypt(value)


class Communication(models.Model):
    """One email, sent or received, on a document (or on none: an unmatched sender)."""

    class Direction(models.TextChoices):
        SENT = "Sent"
        RECEIVED = "Received"

    class Status(models.TextChoices):
        QUEUED = "Queued"  # in the outbox, waiting (or waiting again: SMTP was down)
        SENDING = "Sending"  # claimed by one attempt; the SMTP server may or may not have it
        SENT = "Sent"
        ERROR = "Error"  # given up after the last attempt
        UNKNOWN = "Unknown"  # an attempt stopped mid-send: never resent by itself; check
        RECEIVED = "Received"

    reference_doctype = models.CharField(max_length=60, blank=True)
    reference_name = models.CharField(max_length=140, blank=True)
    sent_or_received = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    email_account = models.ForeignKey(
        EmailAccount, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    subject = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=320, blank=True)  # the address
    sender_full_name = models.CharField(max_length=255, blank=True)
    recipients = models.TextField(blank=True)  # comma separated addresses
    cc = models.TextField(blank=True)
    text_content = models.TextField(blank=True)  # plain text (from HTML when there was none)
    html_content = models.TextField(blank=True)  # sanitised HTML (nh3), "" when plain only
    html_quoted = models.TextField(blank=True)  # sanitised: the quoted history, folded
    message_id = models.CharField(max_length=998)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    routing_token = models.CharField(max_length=40, blank=True, default="")
    is_automatic = models.BooleanField(default=False)  # auto-reply or bounce: not the party
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    communication_date = models.DateTimeField(default=timezone.now)
    creation = models.DateTimeField(default=timezone.now, editable=False)
    # The outbox
    send_attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["communication_date", "pk"]
        indexes = [
            models.Index(
                fields=["reference_doctype", "reference_name", "communication_date"],
                name="comm_reference",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="Queued"),
                name="comm_queued",
            ),
            models.Index(fields=["claimed_at"], condition=Q(status="Sending"), name="comm_sending"),
            models.Index(fields=["sender"], name="comm_sender"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["message_id"], name="comm_unique_message_id"),
            models.UniqueConstraint(
                fields=["routing_token"],
                condition=~Q(routing_token=""),
                name="comm_unique_routing_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sent_or_received}: {self.subject}"

    @property
    def recipient_list(self) -> list[str]:
        return [a for a in (x.strip() for x in self.recipients.split(",")) if a]

    @property
    def cc_list(self) -> list[str]:
        return [a for a in (x.strip() for x in self.cc.split(",")) if a]


def attachment_path(instance: CommunicationAttachment, filename: str) -> str:
    return f"comms/{timezone.now():%Y/%m}/{secrets.token_hex(8)}/{filename[-100:]}"


class CommunicationAttachment(models.Model):
    communication = models.ForeignKey(
        Communication, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    content_id = models.CharField(max_length=255, blank=True)  # inline (cid:) parts

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename


class CommunicationLink(models.Model):
    """An email shown on a document other than its own (ERPNext's timeline links): the lead's
    emails on the opportunity made from it. Threading still follows ``reference_*``."""

    communication = models.ForeignKey(
        Communication, on_delete=models.CASCADE, related_name="links", db_index=False
    )
    link_doctype = models.CharField(max_length=60)
    link_name = models.CharField(max_length=140)
    creation = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["link_doctype", "link_name"], name="comm_link_document")]
        constraints = [
            models.UniqueConstraint(
                fields=["communication", "link_doctype", "link_name"], name="comm_link_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.communication_id} on {self.link_doctype} {self.link_name}"
