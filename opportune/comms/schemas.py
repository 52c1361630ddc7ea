"""The JSON shapes of emails and email accounts (API.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from ninja import Field, Schema

from opportune.core.schemas import Resolver, StrictIn, VersionIn, username

Address = Field(..., min_length=3, max_length=320)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class CommunicationOut(Schema):
    id: int
    reference_doctype: str
    reference_name: str
    sent_or_received: str
    status: str
    subject: str
    sender: str
    sender_full_name: str
    recipients: list[str]
    cc: list[str]
    text_content: str
    html_content: str = Field(description="Sanitised HTML (nh3): safe to show; '' for plain text")
    html_quoted: str = Field(description="The quoted history, sanitised: show it folded")
    is_automatic: bool = Field(description="An auto-reply or a bounce: not the party's answer")
    message_id: str
    owner: str | None
    communication_date: datetime
    sent_at: datetime | None
    last_error: str
    attachments: list[AttachmentOut]

    resolve_owner: ClassVar[Resolver] = username("owner")

    @staticmethod
    def resolve_recipients(obj: Any) -> list[str]:
        return list(obj.recipient_list)

    @staticmethod
    def resolve_cc(obj: Any) -> list[str]:
        return list(obj.cc_list)

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.all())


class CommunicationIn(StrictIn):
    recipients: list[str] = Field(..., min_length=1, max_length=50)
    subject: str = Field(..., max_length=900)
    content: str = Field(..., max_length=200_000)
    cc: list[str] = Field(default_factory=list, max_length=50)


class InboundOut(Schema):
    id: int
    created: bool
    reference_doctype: str
    reference_name: str
    is_automatic: bool


class EmailAccountOut(Schema):
    name: str
    email_id: str
    smtp_host: str
    smtp_port: int
    smtp_use_ssl: bool
    smtp_use_starttls: bool
    smtp_user: str
    has_smtp_password: bool
    imap_host: str
    imap_port: int
    imap_use_ssl: bool
    imap_user: str
    has_imap_password: bool
    imap_folder: str
    enable_incoming: bool
    create_lead_for_unknown_sender: bool
    default_outgoing: bool
    last_polled_on: datetime | None
    last_poll_error: str
    version: int

    @staticmethod
    def resolve_has_smtp_password(obj: Any) -> bool:
        return bool(obj.smtp_password_encrypted)

    @staticmethod
    def resolve_has_imap_password(obj: Any) -> bool:
        return bool(obj.imap_password_encrypted)


class EmailAccountFields(StrictIn):
    email_id: str | None = Field(None, max_length=254)
    smtp_host: str | None = Field(None, max_length=255)
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_use_ssl: bool | None = None
    smtp_use_starttls: bool | None = None
    smtp_user: str | None = Field(None, max_length=255)
    smtp_password: str | None = Field(None, max_length=1000, description="Write-only")
    imap_host: str | None = Field(None, max_length=255)
    imap_port: int | None = Field(None, ge=1, le=65535)
    imap_use_ssl: bool | None = None
    imap_user: str | None = Field(None, max_length=255)
    imap_password: str | None = Field(None, max_length=1000, description="Write-only")
    imap_folder: str | None = Field(None, max_length=255)
    enable_incoming: bool | None = None
    create_lead_for_unknown_sender: bool | None = None
    default_outgoing: bool | None = None


class EmailAccountCreate(EmailAccountFields):
    name: str = Field(..., min_length=1, max_length=140)
    email_id: str = Field(..., max_length=254)


class EmailAccountPatch(VersionIn, EmailAccountFields):
    name: str | None = Field(None, min_length=1, max_length=140)
