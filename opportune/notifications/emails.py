"""What a notification's email carries besides its text: absolute links (SITE_URL) and a
Message-ID that stays the same however often the send is tried, so a mailbox can tell a
duplicate (the one window decision 10 leaves: a crash after the SMTP server took the message)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from opportune.notifications.models import Notification


def absolute_url(link: str) -> str:
    """A path of the app (``/crm/opportunities/X/``) as a full address under SITE_URL; anything
    else (empty, another site's address) as no link at all."""
    if not link.startswith("/") or link.startswith("//"):
        return ""
    return settings.SITE_URL.rstrip("/") + link


def message_id(notification: Notification) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notification.pk}.{notification.creation:%Y%m%d%H%M%S}@{domain}>"


def one_line(text: str) -> str:
    """``text`` on one line: every run of white space (newlines too) one space."""
    return " ".join((text or "").split())
