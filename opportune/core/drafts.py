"""The generic services of a draft document with item rows: create, edit and delete a draft.

Each document's ``ItemsDraft`` names its model and its writable fields; the service module calls
these with it, and the rules that differ live in the draft class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.utils import timezone

from opportune.core.bulk import insert_documents, insert_instances, stamp_and_name
from opportune.core.docstatus import Submittable, require_draft
from opportune.core.documents import delete_document, lock_document, require_version, stamp_new
from opportune.core.fields import check_known_fields
from opportune.core.items import Catalog, ItemsDraft
from opportune.core.models import Document

if TYPE_CHECKING:
    from opportune.core.users import User


def create_draft(
    draft_class: type[ItemsDraft],
    *,
    data: Mapping[str, Any],
    by: User,
    now: datetime | None = None,
    prefill: Mapping[str, Any] | None = None,
    row_links: Sequence[Mapping[str, Any]] = (),
    **draft_options: Any,
) -> Any:
    """A new Draft from plain input. ``prefill`` sets values the mapping already checked;
    ``row_links`` sets attributes on the rows in order (a row's source row, say)."""
    now = now or timezone.now()
    with transaction.atomic():
        draft = new_draft(draft_class, data, now=now, prefill=prefill, **draft_options)
        document = draft.doc
        for row, links in zip(draft.rows, row_links, strict=False):
            for attr, value in links.items():
                setattr(row, attr, value)
        stamp_new(document, by=by, now=now)
        draft.save(by=by)
    return document


def new_draft(
    draft_class: type[ItemsDraft],
    data: Mapping[str, Any],
    *,
    now: datetime,
    prefill: Mapping[str, Any] | None = None,
    catalog: Catalog | None = None,
    **draft_options: Any,
) -> Any:
    """The validation pass of a new Draft from plain input (what ``create_draft`` checks before
    it writes): the draft, its document and rows built and unsaved, or a ``ValidationError``
    naming every bad field. ``catalog``: the masters read ahead for a batch (``BatchCatalog``).
    """
    check_known_fields(data, draft_class.writable)
    model: Any = draft_class.model  # a Transaction (or an RFQ): it has a date and a status
    document = model(transaction_date=timezone.localdate(now), status="Draft", **(prefill or {}))
    draft = draft_class(document, data, creating=True, **draft_options)
    if catalog is not None:
        draft.catalog = catalog
    draft.apply()
    return draft


def insert_drafts(drafts: Sequence[ItemsDraft], *, by: User, now: datetime) -> None:
    """Write new documents of one model checked by their drafts (``ItemsDraft.apply``) as their
    ``save`` would, in a few statements for the batch (core.bulk): stamped and named from the
    series in order, one ``+`` history record each, their search entries, then their item rows
    linked to them (``link_row``)."""
    documents = [draft.doc for draft in drafts]
    stamp_and_name(documents, by=by, now=now)
    for document in documents:
        document._history_rows = None
    insert_documents(documents, by=by, when=now)
    rows = []
    for draft in drafts:
        for row in draft.new_rows or []:
            setattr(row, draft.parent_field, draft.doc)
            draft.link_row(row)
            rows.append(row)
    insert_instances(rows)


def update_draft(
    draft_class: type[ItemsDraft],
    document: Document,
    *,
    data: Mapping[str, Any],
    version: int | None,
    by: User,
) -> Any:
    """Apply a partial change to a Draft; ``version`` is the one the caller read (else 409)."""
    check_known_fields(data, draft_class.writable)
    require_version(version)
    with transaction.atomic():
        locked = lock_document(draft_class.model, document.pk, expected_version=version, by=by)
        require_draft(cast(Submittable, locked))
        draft = draft_class(locked, data, creating=False)
        draft.apply()
        draft.save(by=by)
    return locked


def delete_draft(document: Document, *, version: int | None, by: User) -> None:
    """Delete a Draft under its row lock, if nobody changed it since ``version`` was read; a
    submitted document is a record and is cancelled instead (409)."""
    delete_document(
        type(document),
        document,
        version=version,
        by=by,
        check=lambda locked: require_draft(cast(Submittable, locked), doing="deleted"),
    )
