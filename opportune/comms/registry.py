"""What the email engine asks of the apps above it (crm registers in its ``ready()``): comms
never imports them. One registration per app that owns documents email can land on.

- ``resolve_name(name)``: the doctype of a document named in a subject tag (``[CRM-OPP-...]``),
  or None;
- ``match_sender(address)``: the document a message from this address belongs to (for crm: the
  latest open opportunity of the contact / lead / customer, else the lead while it has none);
- ``create_for_sender(address, display_name)``: a new document for an unknown sender (a Lead);
- ``on_sent(communication)`` / ``on_received(communication)``: the effects on the document,
  in the caller's transaction (Replied / Open, first response, assignment rules);
- ``url(doctype, name)``: the page of a document (for links), "" when unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opportune.comms.models import Communication

Reference = tuple[str, str]  # (doctype, name)


@dataclass(frozen=True)
class Threading:
    doctypes: tuple[str, ...]
    resolve_name: Callable[[str], str | None]
    match_sender: Callable[[str], Reference | None]
    create_for_sender: Callable[[str, str], Reference | None]
    on_sent: Callable[[Communication], None]
    on_received: Callable[[Communication], None]
    url: Callable[[str, str], str]


_REGISTERED: list[Threading] = []


def register_threading(threading: Threading) -> None:
    if threading not in _REGISTERED:
        _REGISTERED.append(threading)


def _for(doctype: str) -> Threading | None:
    return next((t for t in _REGISTERED if doctype in t.doctypes), None)


def resolve_name(name: str) -> Reference | None:
    for threading in _REGISTERED:
        doctype = threading.resolve_name(name)
        if doctype:
            return doctype, name
    return None


def match_sender(address: str) -> Reference | None:
    for threading in _REGISTERED:
        found = threading.match_sender(address)
        if found:
            return found
    return None


def create_for_sender(address: str, display_name: str) -> Reference | None:
    for threading in _REGISTERED:
        made = threading.create_for_sender(address, display_name)
        if made:
            return made
    return None


def on_sent(communication: Communication) -> None:
    threading = _for(communication.reference_doctype)
    if threading is not None:
        threading.on_sent(communication)


def on_received(communication: Communication) -> None:
    threading = _for(communication.reference_doctype)
    if threading is not None:
        threading.on_received(communication)


def reference_url(doctype: str, name: str) -> str:
    threading = _for(doctype)
    return threading.url(doctype, name) if threading is not None and name else ""
