"""IMAP polling: each account's folder read from the UID after the last one taken, the
UIDVALIDITY remembered (a new one means the UIDs start again; Message-IDs still keep each
message once), messages fetched with BODY.PEEK (left unread for the people who read the box)."""

from __future__ import annotations

import imaplib
import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from opportune.comms.models import EmailAccount
from opportune.comms.services import ingest_email

logger = logging.getLogger(__name__)
BATCH = 200
TIMEOUT = 30


def _connect(account: EmailAccount) -> imaplib.IMAP4:
    if account.imap_use_ssl:
        return imaplib.IMAP4_SSL(account.imap_host, account.imap_port, timeout=TIMEOUT)
    return imaplib.IMAP4(account.imap_host, account.imap_port, timeout=TIMEOUT)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_account(account: EmailAccount, *, now: datetime | None = None) -> int:
    """Take in the account's new messages (at most BATCH a run); how many were new."""
    taken = 0
    with _connect(account) as imap:
        imap.login(account.imap_user or account.email_id, account.imap_password)
        status, _ = imap.select(_quoted(account.imap_folder or "INBOX"), readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"The folder {account.imap_folder!r} cannot be opened.")
        _, values = imap.response("UIDVALIDITY")
        uidvalidity = int(values[0]) if values and values[0] else 0
        last_uid = account.last_uid if account.uidvalidity == uidvalidity else 0
        _, data = imap.uid("SEARCH", "UID", f"{last_uid + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last_uid)
        for uid in uids[:BATCH]:
            _, fetched = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next(
                (part[1] for part in fetched if isinstance(part, tuple) and len(part) > 1), b""
            )
            if raw:
                try:
                    with transaction.atomic():
                        _, new = ingest_email(raw, account=account, now=now)
                    taken += new
                except Exception:  # one message the engine cannot take never stops the box
                    logger.exception("%s: the message of UID %s was not taken in.", account, uid)
            EmailAccount.objects.filter(pk=account.pk).update(uidvalidity=uidvalidity, last_uid=uid)
            account.uidvalidity, account.last_uid = uidvalidity, uid
        EmailAccount.objects.filter(pk=account.pk).update(
            uidvalidity=uidvalidity, last_polled_on=now or timezone.now(), last_poll_error=""
        )
        account.uidvalidity = uidvalidity
    return taken
