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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import F, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.urls import reverse

from opportune.core.errors import ValidationError
from opportune.core.models import Document, SearchEntry

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

FTS_TABLE = "core_searchentry_fts"
TRIGRAM = 3
# the global search looks at most at this many of the newest matching entries of each type,
# then keeps those the user may see: a word that a thousand documents hold is narrowed by typing
CANDIDATES_PER_TYPE = 500


def matching_names(doctype: str, text: str) -> QuerySet[SearchEntry, Any]:
    """The names of the documents of ``doctype`` whose searchable text contains ``text`` (case
    ignored), as a subquery: ``Model.objects.filter(name__in=matching_names(...))``."""
    return matching_entries(text).filter(doctype=doctype).values("name")


def matching_entries(text: str) -> QuerySet[SearchEntry, Any]:
    """The entries (of every doctype) whose text contains ``text``, case ignored, through the
    database's index when the text has a trigram."""
    entries = SearchEntry.objects.all()
    if connection.vendor == "sqlite" and len(text) >= TRIGRAM and sqlite_has_fts():
        phrase = '"' + text.replace('"', '""') + '"'
        return entries.filter(
            id__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (phrase,))
        )
    return entries.filter(text__icontains=text)


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
    concrete = {f.name for f in model._meta.concrete_fields}
    fields = ["pk", *(field for field in model.search_fields if field in concrete)]
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


# --- the global search (issue 14, decision 0026) ---------------------------------------------
Row = dict[str, Any]


@dataclass(frozen=True)
class Searchable:
    """A document type the global search looks in, registered by its app (core imports no
    app above it): which rows the user may see, the columns a result needs, and how they make
    its title, subtitle and page."""

    doctype: str  # "Lead": the results' doctype and SearchEntry.doctype
    key: str  # "leads": the API resource, a value of ``types=``
    label: str  # "Leads": the heading of its group
    visible_to: Callable[[AnyUser], QuerySet[Any, Any]]
    columns: tuple[str, ...]  # read with values(), besides the name
    title: Callable[[Row], str]
    subtitle: Callable[[Row], str]
    page: str | None  # the URL name of a document's page (its argument: the name)
    url: Callable[[Row], str | None] | None = None  # instead of page, from the row (a contact)


_SEARCHABLES: dict[str, Searchable] = {}


def register_searchable(searchable: Searchable) -> None:
    _SEARCHABLES[searchable.key] = searchable


def searchables() -> list[Searchable]:
    """In the order the apps registered them (the order of the groups)."""
    return list(_SEARCHABLES.values())


def parse_types(value: str | None) -> list[Searchable] | None:
    """The ``types=`` of a search: a comma list of keys or doctypes; None (all) when empty.
    An unknown one is bad input naming ``types``."""
    if not value or not value.strip():
        return None
    wanted, unknown = [], []
    for word in value.split(","):
        if not word.strip():
            continue
        found = find_searchable(word)
        if found is None:
            unknown.append(word.strip())
        elif found not in wanted:
            wanted.append(found)
    if unknown:
        known = ", ".join(s.key for s in _SEARCHABLES.values())
        raise ValidationError.for_field(
            "types", f"Unknown type: {', '.join(unknown)} (known: {known})."
        )
    return wanted or None


def find_searchable(word: str) -> Searchable | None:
    """By its key ("leads") or its doctype ("Lead"), case ignored."""
    word = word.strip().lower()
    for searchable in _SEARCHABLES.values():
        if word in (searchable.key, searchable.doctype.lower()):
            return searchable
    return None


def page_url(searchable: Searchable | str, name: str) -> str | None:
    """The path of the page of a document of a searchable type (or of its doctype's name)."""
    if isinstance(searchable, str):
        found = next((s for s in _SEARCHABLES.values() if s.doctype == searchable), None)
        if found is None:
            return None
        searchable = found
    return reverse(searchable.page, args=[name]) if searchable.page is not None and name else None


@dataclass(frozen=True)
class SearchResult:
    doctype: str
    name: str
    title: str
    subtitle: str
    url: str | None


@dataclass(frozen=True)
class SearchGroup:
    searchable: Searchable
    results: list[SearchResult]


def joined(*values: Any) -> str:
    """The non-empty values, joined by a middle dot: a subtitle."""
    return " · ".join(str(value) for value in values if value not in (None, ""))


def candidates(text: str, doctypes: list[str]) -> dict[str, list[str]]:
    """The names of the newest ``CANDIDATES_PER_TYPE`` entries of each doctype whose text
    contains ``text``: one pass over the text index for every type (not one per type)."""
    found: dict[str, list[str]] = {}
    for doctype, name in candidate_query(text, doctypes):
        found.setdefault(doctype, []).append(name)
    return found


def candidate_query(text: str, doctypes: list[str]) -> QuerySet[SearchEntry, tuple[str, str]]:
    return (
        matching_entries(text)
        .filter(doctype__in=doctypes)
        .annotate(rank=Window(RowNumber(), partition_by=[F("doctype")], order_by=F("id").desc()))
        .filter(rank__lte=CANDIDATES_PER_TYPE)
        .values_list("doctype", "name")
    )


def global_search(
    user: AnyUser, text: str, *, types: Iterable[Searchable] | None = None, limit: int = 5
) -> list[SearchGroup]:
    """The documents of each type (all registered, or ``types``) the user may see whose
    searchable text contains ``text``, at most ``limit`` of each, newest first, and only the
    groups with results. One query finds the candidates of every type in the text index (the
    newest ``CANDIDATES_PER_TYPE`` of each); then one query per type that has some applies
    its access rule and reads the columns of the results."""
    wanted = list(types) if types is not None else searchables()
    found = candidates(text, [searchable.doctype for searchable in wanted])
    groups = []
    for searchable in wanted:
        names = found.get(searchable.doctype)
        if not names:
            continue
        # no ORDER BY ... LIMIT in SQL: PostgreSQL would walk the whole (-modified) index
        # looking for the few candidates a sales user may see; at most CANDIDATES_PER_TYPE rows
        # come back, by their primary key, and are sorted here
        visible = searchable.visible_to(user).filter(pk__in=names).order_by()
        rows = sorted(
            visible.values("pk", "modified", *searchable.columns),
            key=lambda row: (row["modified"], row["pk"]),
            reverse=True,
        )[:limit]
        if rows:
            groups.append(SearchGroup(searchable, [_result(searchable, row) for row in rows]))
    return groups


def _result(searchable: Searchable, row: Row) -> SearchResult:
    return SearchResult(
        doctype=searchable.doctype,
        name=row["pk"],
        title=searchable.title(row) or row["pk"],
        subtitle=searchable.subtitle(row),
        url=searchable.url(row) if searchable.url else page_url(searchable, row["pk"]),
    )
