"""Emails on a document's timeline (core.timeline): a source the document's app registers for
its doctypes (crm: Opportunity and Lead). Generic: any doctype's emails, its own and those
linked to it (``services.link_thread``), in one query."""

from __future__ import annotations

from collections.abc import Iterable

from opportune.comms.models import Communication
from opportune.comms.parsing import split_quoted_text
from opportune.comms.services import emails_on
from opportune.core.timeline import TimelineEntry

EXCERPT = 200  # characters of the new text (the quoted history left out)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    new, _quoted = split_quoted_text(text)
    flat = " ".join(new.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def email_entries(doctype: str, name: str) -> Iterable[TimelineEntry]:
    rows = (
        Communication.objects.filter(emails_on(doctype, name))
        .select_related("owner")
        .only(
            "sent_or_received",
            "status",
            "subject",
            "sender",
            "sender_full_name",
            "recipients",
            "cc",
            "text_content",
            "is_automatic",
            "communication_date",
            "reference_doctype",
            "reference_name",
            "owner__username",
        )
        .order_by("communication_date", "pk")
    )
    for c in rows:
        yield TimelineEntry(
            kind="email",
            at=c.communication_date,
            user=c.owner.username if c.owner else None,
            summary=c.subject or "(no subject)",
            data={
                "communication_id": c.pk,
                "direction": c.sent_or_received,
                "status": c.status,
                "subject": c.subject,
                "sender": c.sender,
                "sender_full_name": c.sender_full_name,
                "recipients": c.recipient_list,
                "cc": c.cc_list,
                "excerpt": excerpt(c.text_content),
                "is_automatic": c.is_automatic,
                # where the email belongs (threading); another document when linked here
                "reference_doctype": c.reference_doctype,
                "reference_name": c.reference_name,
            },
        )
