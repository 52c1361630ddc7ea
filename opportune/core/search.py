"""Text search over documents (``q`` on the lists): one table of searchable text per document
(core.models.SearchEntry), written by the document's saves that change its ``search_fields``,
and indexed for substring search on each database (decision 0022):

- PostgreSQL: a GIN trigram index on ``UPPER(text)``, which answers Django's ``icontains``;
- SQLite: an FTS5 table with the trigram tokenizer (``core_searchentry_fts``, kept by triggers),
  asked for the text as a phrase, which matches it anywhere in the entry, in any case.

A query shorter than three characters has no trigram to look up: it is a plain ``icontains``.
The documents table carries no text index at all, so a write that does not change the text
(a status, an amount, auto-close) pays for none.
"""

from __future__ import annotations

import sqlite3
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from opportune.core.models import Document, SearchEntry

FTS_TABLE = "core_searchentry_fts"
TRIGRAM = 3


def matching_names(doctype: str, text: str) -> QuerySet[SearchEntry, Any]:
    """The names of the documents of ``doctype`` whose searchable text contains ``text`` (case
    ignored), as a subquery: ``Model.objects.filter(name__in=matching_names(...))``."""
    entries = SearchEntry.objects.filter(doctype=doctype)
    if connection.vendor == "sqlite" and len(text) >= TRIGRAM and sqlite_has_fts():
        phrase = '"' + text.replace('"', '""') + '"'
        entries = entries.filter(
            id__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (phrase,))
        )
    else:
        entries = entries.filter(text__icontains=text)
    return entries.values("name")


@cache
def sqlite_has_fts() -> bool:
    """Whether this process's SQLite library has FTS5 with the trigram tokenizer (3.34 and
    later, as Debian's and Python's builds do); the migration made the FTS table with the same
    library. Asked of a private in-memory database, once: no query on the project's."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True


def searchable_models() -> list[type[Document]]:
    return [
        model for model in apps.get_models() if issubclass(model, Document) and model.search_fields
    ]


def rebuild(model: type[Document], *, batch_size: int = 2000) -> int:
    """Write the entry of every document of ``model`` again (after a bulk load that bypassed
    the saves, or to repair); returns how many. Reads in batches by name, never all at once."""
    fields = ["pk", *model.search_fields]
    count = 0
    after = ""
    while True:
        batch = list(
            model._default_manager.filter(pk__gt=after).order_by("pk").only(*fields)[:batch_size]
        )
        if not batch:
            return count
        with transaction.atomic():
            SearchEntry.objects.bulk_create(
                [
                    SearchEntry(doctype=model.doctype, name=doc.pk, text=SearchEntry.text_of(doc))
                    for doc in batch
                ],
                update_conflicts=True,
                unique_fields=["doctype", "name"],
                update_fields=["text"],
            )
        count += len(batch)
        after = batch[-1].pk
