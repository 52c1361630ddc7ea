"""The documents events and activities point at, registered by the apps above that own them (crm
registers Lead, Customer and Opportunity in its ``ready()``), so activities links to them, asks
who may see them and writes on their timeline without importing them.

- ``register_reference_url``: the path of a document's page (the calendar and reminders link to
  it);
- ``register_activity_reference``: a doctype activities may be planned on: its page, and which
  of its documents a user may see (a queryset, used as a subquery: those who see a document see
  its activities and may plan one on it). It also adds the done activities to the doctype's
  timeline (core.timeline).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from opportune.activities.timeline import done_activity_entries
from opportune.core.timeline import register_source

ReferenceUrl = Callable[[str], str]
VisibleDocuments = Callable[[Any], QuerySet[Any]]  # (user) -> the documents they may see

_urls: dict[str, ReferenceUrl] = {}
_visible: dict[str, VisibleDocuments] = {}


def register_reference_url(doctype: str, url_of: ReferenceUrl) -> None:
    _urls[doctype] = url_of


def reference_url(doctype: str, name: str) -> str:
    """The path of the document's page, or "" when no app knows the doctype."""
    url_of = _urls.get(doctype)
    return url_of(name) if url_of is not None and name else ""


def register_activity_reference(
    doctype: str, *, url_of: ReferenceUrl, visible: VisibleDocuments
) -> None:
    register_reference_url(doctype, url_of)
    _visible[doctype] = visible
    register_source(doctype, done_activity_entries)


def activity_doctypes() -> list[str]:
    return sorted(_visible)


def visible_documents(doctype: str, user: Any) -> QuerySet[Any] | None:
    """The documents of ``doctype`` the user may see, or None when the doctype is not known."""
    visible = _visible.get(doctype)
    return visible(user) if visible is not None else None
