"""Where an event's document lives: apps above register, for their doctype, the path of a
document's page (crm registers "Opportunity" in its ``ready()``), so the calendar links to it
without importing them."""

from __future__ import annotations

from collections.abc import Callable

ReferenceUrl = Callable[[str], str]

_urls: dict[str, ReferenceUrl] = {}


def register_reference_url(doctype: str, url_of: ReferenceUrl) -> None:
    _urls[doctype] = url_of


def reference_url(doctype: str, name: str) -> str:
    """The path of the document's page, or "" when no app knows the doctype."""
    url_of = _urls.get(doctype)
    return url_of(name) if url_of is not None and name else ""
