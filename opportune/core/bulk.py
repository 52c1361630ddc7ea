"""Writing many documents at once with what a single save writes beside them: their names from
the naming series (one block per batch), one history record each, their search entries.

The bulk writers share these pieces: the import of CSV/XLSX rows (core.imports, decision 0030)
and the migration from ERPNext (erpnext.importer, decision 0031). A single ``Document.save``
does the same one document at a time (core.models), so a document written in bulk cannot be
told from one saved by its service: the same name, history and search text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from opportune.core.audit import current_door
from opportune.core.models import Document, NamingSeries, SearchEntry, expand_series

if TYPE_CHECKING:
    from opportune.core.users import User

BATCH = 1000  # rows per INSERT statement (SQLite's variable limit allows it for our widths)


def allocate_names(documents: Sequence[Document], *, when: datetime | None = None) -> None:
    """Name the unnamed documents of one model from its naming series, a block of numbers
    taken in one counter update per prefix (``NamingSeries.next_names``): the names a one by
    one save would have given them in this order."""
    unnamed = [d for d in documents if not d.name]
    if not unnamed:
        return
    series = type(unnamed[0]).naming_series
    if not series:
        raise ValueError(f"{type(unnamed[0]).__name__} has no naming series: name it first.")
    by_prefix: dict[str, list[Document]] = {}
    for document in unnamed:
        by_prefix.setdefault(expand_series(series, when or document.creation), []).append(
            document
        )
    for group in by_prefix.values():
        names = NamingSeries.next_names(series, len(group), when or group[0].creation)
        for document, name in zip(group, names, strict=True):
            document.name = name


def write_history(
    model: type[models.Model],
    objs: Sequence[Any],
    *,
    update: bool,
    by: User | None,
    door: str | None = None,
    when: datetime | None = None,
) -> None:
    """One history record per object (``+`` new, ``~`` changed), by ``by``, through ``door``
    (the current one unless given)."""
    history = getattr(model, "history", None)
    if history is None or not objs:
        return
    history.bulk_history_create(
        list(objs),
        update=update,
        batch_size=BATCH,
        default_user=by,
        default_date=when or timezone.now(),
        custom_historical_attrs={"history_door": door or current_door()},
    )


def keep_search_entries(documents: Sequence[Document]) -> None:
    """Write (insert or replace) the documents' search text, as their saves would."""
    if not documents or not type(documents[0]).search_fields:
        return
    SearchEntry.objects.bulk_create(
        [SearchEntry(doctype=d.doctype, name=d.pk, text=SearchEntry.text_of(d)) for d in documents],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["doctype", "name"],
        update_fields=["text"],
    )


def insert_documents(
    documents: Sequence[Document], *, by: User | None, when: datetime | None = None
) -> None:
    """Insert new documents of one model as their saves would: named from the series (when
    unnamed), stamped by their service beforehand, one INSERT per batch, one ``+`` history
    record each, their search entries."""
    if not documents:
        return
    model = type(documents[0])
    allocate_names(documents, when=when)
    model._default_manager.bulk_create(documents, batch_size=BATCH)
    for document in documents:
        document._state.adding = False
    write_history(model, documents, update=False, by=by, when=when)
    keep_search_entries(documents)


def _series_regex(series: str) -> re.Pattern[str]:
    pattern = re.escape(series)
    for token, digits in ((r"\.YYYY\.", 4), (r"\.YY\.", 2), (r"\.MM\.", 2)):
        pattern = pattern.replace(token, rf"\d{{{digits}}}")
    return re.compile(rf"({pattern})(\d+)")


def bump_series(model: type[models.Model], names: Sequence[str]) -> None:
    """Names of the model's own series written from elsewhere (a migration keeps its source's
    names) move its counters on, so that the next document made here does not take one."""
    series = getattr(model, "naming_series", "")
    if not series:
        return
    highest: dict[str, int] = {}
    regex = _series_regex(series)
    for name in names:
        match = regex.fullmatch(name)
        if match:
            highest[match[1]] = max(highest.get(match[1], 0), int(match[2]))
    for prefix, number in highest.items():
        NamingSeries.objects.bulk_create([NamingSeries(prefix=prefix)], ignore_conflicts=True)
        NamingSeries.objects.filter(prefix=prefix, current__lt=number).update(current=number)
