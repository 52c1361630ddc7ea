"""Writing many documents at once with what a single save writes beside them: their names from
the naming series (one block per batch), one history record each, their search entries.

The bulk writers share these pieces: the import of CSV/XLSX rows (core.imports, decision 0030)
and the migration from ERPNext (erpnext.importer, decision 0031). A single ``Document.save``
does the same one document at a time (core.models), so a document written in bulk cannot be
told from one saved by its service: the same name, history and search text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connections, models, router
from django.utils import timezone

from opportune.core.audit import current_door
from opportune.core.documents import stamp_new
from opportune.core.models import Document, NamingSeries, SearchEntry, expand_series

if TYPE_CHECKING:
    from opportune.core.users import User

BATCH = 1000  # rows per INSERT statement (SQLite's variable limit allows it for our widths)


def stamp_and_name(documents: Sequence[Document], *, by: User | None, now: datetime) -> None:
    """New documents of one model made ready to insert, as their saves would make them: the
    audit columns (``stamp_new``), the history's user, their names from the series."""
    for document in documents:
        stamp_new(document, by=by, now=now)
        document._history_user = by
    allocate_names(documents, when=now)


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
    fixed = expand_series(series, when) if when is not None else None
    for document in unnamed:
        prefix = fixed or expand_series(series, document.creation)
        by_prefix.setdefault(prefix, []).append(document)
    for group in by_prefix.values():
        names = NamingSeries.next_names(series, len(group), when or group[0].creation)
        for document, name in zip(group, names, strict=True):
            document.name = name


def insert_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    conflict: tuple[Sequence[str], Sequence[str]] | None = None,
) -> None:
    """INSERT rows of ``model`` given as {attname: value} (a missing column takes its field's
    default; an auto-incremented key is left to the database) with one prepared statement run
    for every row (``executemany``): what ``bulk_create`` writes, without building and
    compiling a model instance per row, which is most of its time. ``conflict``: (unique
    columns, columns to update) makes it an upsert (``ON CONFLICT ... DO UPDATE``, SQLite and
    PostgreSQL alike)."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if not isinstance(f, models.AutoField | models.BigAutoField | models.SmallAutoField)
    ]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if conflict is not None:
        unique, update = conflict
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO UPDATE SET " + ", ".join(
            f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update
        )
    defaults = {f.attname: f.get_default() for f in fields if f.has_default() or f.null}
    now = timezone.now()
    defaults.update(  # what the save of a new row stamps
        (f.attname, now)
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    )
    missing = object()
    prepare = [
        (f.attname, f.get_db_prep_save, _plain(f), defaults.get(f.attname, missing)) for f in fields
    ]
    # a value the database cannot take as it is (a datetime, a Decimal, a date, a dict for
    # JSON) is converted by its field once per distinct value of the statement: a batch's
    # rows share most of them (the one clock of the batch, the same default)
    converted: list[dict[Any, Any]] = [{} for _ in fields]
    params = []
    for row in rows:
        values = []
        for (attname, prep, plain, default), seen in zip(prepare, converted, strict=True):
            value = row.get(attname, default)
            if value is missing:
                value = row[attname]  # a required column the row lacks: a KeyError, as before
            if value is None or type(value) in plain:
                # a text, number or key the database takes as it is: no field conversion
                # (most of the time a bulk_create spends)
                values.append(value)
                continue
            try:
                key = (type(value), value)
                done = seen.get(key, missing)
            except TypeError:  # not hashable (a list or dict for a JSON column)
                values.append(prep(value, connection))
                continue
            if done is missing:
                done = seen[key] = prep(value, connection)
            values.append(done)
        params.append(values)
    with connection.cursor() as cursor:
        if conflict is None and connection.vendor == "postgresql" and params:
            _copy(connection, cursor, model, fields, params)
            return
        for start in range(0, len(params), BATCH * 10):
            cursor.executemany(sql, params[start : start + BATCH * 10])


def _copy(
    connection: Any, cursor: Any, model: type[models.Model], fields: list[Any], params: list[Any]
) -> None:
    """The rows by PostgreSQL's COPY: one statement for the lot, which the server parses and
    plans once (``executemany`` runs one INSERT per row: the server's work was as much as the
    import's Python). Constraints, defaults and triggers (statement triggers too) apply as to an
    INSERT; an error is Django's (an IntegrityError), and the statement counts as one query
    where queries are counted."""
    quote = connection.ops.quote_name
    sql = (
        f"COPY {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    )
    logged = cursor.debug_sql(sql, params, many=True) if hasattr(cursor, "debug_sql") else None
    with connection.wrap_database_errors, logged or nullcontext(), cursor.cursor.copy(sql) as copy:
        for values in params:
            copy.write_row(values)


_TEXT = ("CharField", "TextField", "EmailField", "SlugField", "URLField")


def _plain(field: models.Field[Any, Any]) -> tuple[type, ...]:
    """The Python types a field's values are written as they are (no conversion)."""
    target = getattr(field, "target_field", field) if field.is_relation else field
    kind = target.get_internal_type()
    if kind in _TEXT:
        return (str,)
    if kind.endswith(("IntegerField", "AutoField")):
        return (int,)
    if kind == "BooleanField":
        return (bool,)
    return ()


def _instance_row(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def insert_instances(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved instances of one model that is not a document (item rows): what
    ``bulk_create`` writes (their auto-incremented keys are not read back)."""
    if objs:
        insert_rows(type(objs[0]), (_instance_row(obj) for obj in objs))


def write_history(
    model: type[models.Model],
    objs: Sequence[Any],
    *,
    update: bool,
    by: User | None,
    door: str | None = None,
    when: datetime | None = None,
) -> None:
    """One history record per object (``+`` new, ``~`` changed), by the object's
    ``_history_user`` or ``by``, through ``door`` (the current one unless given): the record
    its save would have written."""
    history = getattr(model, "history", None)
    if history is None or not objs:
        return
    historical = history.model
    tracked = [f.attname for f in historical.tracked_fields]
    common = {
        "history_date": when or timezone.now(),
        "history_type": "~" if update else "+",
        "history_change_reason": None,
        "history_door": door or current_door(),
        "history_rows": None,
    }
    default_user = by.pk if by is not None else None
    insert_rows(
        historical,
        (
            {
                **{name: getattr(obj, name) for name in tracked},
                **common,
                "history_user_id": getattr(getattr(obj, "_history_user", None), "pk", None)
                or default_user,
            }
            for obj in objs
        ),
    )


def keep_search_entries(documents: Sequence[Document]) -> None:
    """Write (insert or replace) the documents' search text, as their saves would."""
    if not documents or not type(documents[0]).search_fields:
        return
    insert_rows(
        SearchEntry,
        ({"doctype": d.doctype, "name": d.pk, "text": SearchEntry.text_of(d)} for d in documents),
        conflict=(("doctype", "name"), ("text",)),
    )


def insert_documents(
    documents: Sequence[Document], *, by: User | None, when: datetime | None = None
) -> None:
    """Insert new documents of one model as their saves would: named from the series (when
    unnamed), stamped by their service beforehand, their derived columns kept
    (``Document.keep_derived``), one INSERT per batch, one ``+`` history
    record each, their search entries."""
    if not documents:
        return
    model = type(documents[0])
    allocate_names(documents, when=when)
    for document in documents:
        document.keep_derived()
    insert_rows(model, (_instance_row(d) for d in documents))
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
        NamingSeries.move_past(prefix, number)
