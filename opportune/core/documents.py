"""Optimistic locking and the audit columns every document service uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import F, Model, ProtectedError, Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from opportune.core.deleted import keep_deleted
from opportune.core.errors import ConflictError, NotFoundError, StaleVersionError, ValidationError
from opportune.core.models import Document
from opportune.core.statements import (
    Placeholders,
    UnsupportedStatementError,
    execute,
    update_sql,
)

if TYPE_CHECKING:
    from opportune.core.users import User

D = TypeVar("D", bound=Document)
R = TypeVar("R", bound=Model)


def require_version(version: int | None) -> None:
    """Updates name the version the caller read; without it a change could overwrite another."""
    if version is None:
        raise ValidationError.for_field(
            "version", "Send the version you read (in the body or as If-Match)."
        )


def lock_document(
    model: type[D],
    name: str,
    *,
    expected_version: int | None,
    by: User | None,
    returning: bool = False,
    held: D | None = None,
) -> D:
    """Claim the right to change a document and return it locked, version already bumped.

    Must run inside ``transaction.atomic()``. The claim is one conditional UPDATE
    (``WHERE version = expected``): of two concurrent writers holding the same version the
    database lets exactly one through, on SQLite and PostgreSQL alike; the other gets
    ``StaleVersionError`` (HTTP 409). ``expected_version=None`` skips the comparison (internal
    effects such as a quotation moving its opportunity) but still bumps the version, so any
    client holding the old one is refused afterwards. ``returning``: the claim answers the row
    (``UPDATE ... RETURNING``, one statement where the UPDATE and a ``SELECT ... FOR UPDATE``
    were two); opted in by the opportunity's change (issue 12, the PATCH) so far, the other
    services' query pins to be moved with them.

    ``held``: the document as the caller read it ``FOR UPDATE`` in this transaction (the API's
    change of an opportunity, core/api_documents.py: its permission-checked lookup is that
    read). It is claimed with no statement: its version compared, then bumped with the audit
    columns in memory, written by the change's own UPDATE (``save_document``). One UPDATE of
    the row, not two: one new row version, its indexes and the board's trigger once.
    """
    now = timezone.now()
    if held is not None:
        return _claim_held(held, expected_version, now, by)
    locked: D | None
    claimed, locked = (
        _claim_returning(model, name, expected_version, now, by) if returning else (None, None)
    )
    if claimed is None:  # the database cannot answer the row with the UPDATE: read it after
        rows = model._default_manager.filter(pk=name)
        if expected_version is not None:
            rows = rows.filter(version=expected_version)
        claimed = rows.update(version=F("version") + 1, modified=now, modified_by=by)
        if claimed:
            locked = model._default_manager.select_for_update().get(pk=name)
    if locked is None:
        current = model._default_manager.filter(pk=name).values_list("version", flat=True).first()
        if current is None:
            raise NotFoundError(f"{model.doctype} {name} not found.")
        raise StaleVersionError(model.doctype, name, expected=expected_version, current=current)
    locked._loaded_values = field_values(locked)
    return locked


def _claim_held(document: D, expected_version: int | None, now: datetime, by: User | None) -> D:
    """``lock_document`` of a row its caller holds locked: as the claim's UPDATE would leave it,
    the version and audit columns changed in memory only (``_loaded_values`` is the row as read,
    so ``save_document`` writes them)."""
    if not transaction.get_connection(document._state.db).in_atomic_block:
        raise transaction.TransactionManagementError("A held row is claimed in its transaction.")
    current = document.version
    if expected_version is not None and current != expected_version:
        raise StaleVersionError(
            document.doctype, document.pk, expected=expected_version, current=current
        )
    document._loaded_values = field_values(document)
    document.version = current + 1
    document.modified = now
    document.modified_by = by
    return document


def _claim_returning(
    model: type[D], name: str, expected_version: int | None, now: datetime, by: User | None
) -> tuple[int | None, D | None]:
    """``lock_document``'s UPDATE answering the row as it is after it (``UPDATE ...
    RETURNING``, PostgreSQL and SQLite 3.35+): one statement where an UPDATE and a ``SELECT ...
    FOR UPDATE`` were two (the UPDATE holds the row's lock until the transaction ends all the
    same), kept per process (core/statements.py ``execute``: every PATCH runs it). The row is
    made as a query makes it (the columns' converters, ``from_db``). ``(None, None)``: the
    database cannot, or the model's UPDATE is not one statement; ``(0, None)``: no row matched
    (a stale version, or no such document)."""
    db = router.db_for_write(model)
    connection = connections[db]
    if not connection.features.can_return_columns_from_insert or model._meta.parents:
        return None, None
    returned = _returned_columns(model, db, connection.vendor)

    def build(v: Placeholders) -> tuple[str, list[Any]]:
        rows = model._default_manager.filter(pk=v.name)
        if expected_version is not None:
            rows = rows.filter(version=v.expected)
        by_id = v.by if by is not None else None  # None is SQL (``= NULL``): in the key
        changes = {"version": F("version") + 1, "modified": v.now, "modified_by": by_id}
        sql, params = update_sql(rows, changes, db)
        return f"{sql} RETURNING {returned.sql}", params

    values: dict[str, Any] = {"name": name, "now": now}
    if expected_version is not None:
        values["expected"] = expected_version
    if by is not None:
        values["by"] = by.pk
    key = ("documents.claim", model, expected_version is None, by is None)
    try:
        with transaction.mark_for_rollback_on_error(using=db):
            rows = execute(key, build, using=db, **values)
    except UnsupportedStatementError:  # not one UPDATE (verify mode says so; else compiled)
        return None, None
    if not rows:
        return 0, None
    row = list(rows[0])
    for position, converters, column in returned.converters:
        value = row[position]
        for convert in converters:
            value = convert(value, column, connection)
        row[position] = value
    return 1, model.from_db(db, returned.attnames, row)


@dataclass(frozen=True)
class _Returned:
    """What ``_claim_returning`` asks back: the RETURNING list, the fields' attribute names and
    the converters of the columns that have some (position, converters, column)."""

    sql: str
    attnames: list[str]
    converters: list[tuple[int, list[Any], Any]]


@lru_cache(maxsize=256)
def _returned_columns(model: type[Model], db: str, vendor: str) -> _Returned:
    connection = connections[db]
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    converters = []
    for position, f in enumerate(fields):
        column = f.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, found, column))
    return _Returned(
        sql=", ".join(quote(f.column) for f in fields),
        attnames=[f.attname for f in fields],
        converters=converters,
    )


def lock_versioned(
    model: type[R], pk: Any, *, expected_version: int | None, doctype: str, name: str
) -> R:
    """A row with a ``version`` that is not a document (an email account, a webhook), locked
    for the caller's transaction and its version bumped; a stale ``expected_version`` (the one
    the client read; None: not compared) is refused with 409, as ``lock_document`` does."""
    locked = model._default_manager.select_for_update().get(pk=pk)
    current = locked.version  # type: ignore[attr-defined]
    if expected_version is not None and expected_version != current:
        raise StaleVersionError(doctype, name, expected=expected_version, current=current)
    locked.version = current + 1  # type: ignore[attr-defined]
    return locked


def field_values(document: Document) -> dict[str, Any]:
    """The value of each column but the key, by field name."""
    return {
        f.name: getattr(document, f.attname)
        for f in document._meta.concrete_fields
        if not f.primary_key
    }


_AUDIT_COLUMNS = ("version", "modified", "modified_by")


def save_document(
    document: Document, *, by: User | None, rows: list[dict[str, Any]] | None = None
) -> bool:
    """Write the fields of a locked document (``lock_document``) that changed since it was
    locked, and nothing (no history line either) when none did; a new document is inserted.
    ``rows``: how its item rows changed (``core.items``), kept on the history record of this
    save, which is written for them alone when no field of the document changed."""
    document._history_user = by
    document._history_rows = rows or None
    loaded: dict[str, Any] | None = getattr(document, "_loaded_values", None)
    if loaded is None:
        document.save()
        return True
    changed = [name for name, value in field_values(document).items() if value != loaded[name]]
    if "version" in changed:  # a held claim: its audit columns always, one statement's shape
        changed += [name for name in _AUDIT_COLUMNS if name not in changed]
    if changed:
        # a held claim (``lock_document``) that changed nothing else bumps the version: its
        # UPDATE, as the claim's, is no change of the document's to record
        if set(_AUDIT_COLUMNS).issuperset(changed) and not rows:
            document.save_without_historical_record(update_fields=changed)  # type: ignore[attr-defined]
        else:
            document.save(update_fields=changed)
        document._loaded_values = field_values(document)
    elif rows:
        type(document).history.bulk_history_create(  # type: ignore[attr-defined]
            [document],
            update=True,
            default_user=by,
            custom_historical_attrs={"history_rows": rows},
        )
    document._history_rows = None
    return bool(changed or rows)


def delete_document(
    model: type[D],
    document: D,
    *,
    version: int | None,
    by: User,
    check: Callable[[D], None] | None = None,
    protected: str = "Other documents still refer to it; it cannot be deleted.",
) -> None:
    """Delete a document like any other write: under its row lock, refused (409) when it changed
    since ``version`` was read (``None``: the caller read none, the lock is still taken), after
    ``check`` had its say on the locked row; still referenced is a 409 naming ``protected``."""
    with transaction.atomic():
        # the row as it was before this write (kept in the deleted documents), read locked
        before = model._default_manager.select_for_update().filter(pk=document.pk).first()
        locked = lock_document(model, document.pk, expected_version=version, by=by)
        if check is not None:
            check(locked)
        locked._history_user = by
        keep_deleted(before or locked, by=by)
        try:
            with transaction.atomic():
                locked.delete()
        except ProtectedError as exc:
            raise ConflictError(protected) from exc


def set_status_in_batches(
    queryset: QuerySet[D], *, status: str, now: datetime, reason: str, batch_size: int = 500
) -> int:
    """Move every document of ``queryset`` to ``status`` as a job does (no user), through the
    history-keeping path, so each document's timeline shows the change: per batch one locked
    read, one UPDATE and one INSERT of history rows, never a query per document. The queryset
    must stop matching a document once it has the new status, which makes the job idempotent
    and safe to run again after a crash half-way. Each version goes up, so a client holding the
    old one is refused (409)."""
    model = queryset.model
    moved = 0
    while True:
        with transaction.atomic():
            rows: list[Any] = list(queryset.select_for_update().order_by("pk")[:batch_size])
            for row in rows:
                row.status = status
                row.version += 1
                row.modified = now
                row.modified_by = None
            if rows:
                bulk_update_with_history(
                    rows,
                    model,
                    ["status", "version", "modified", "modified_by"],
                    default_change_reason=reason,
                    default_date=now,
                )
        moved += len(rows)
        if len(rows) < batch_size:
            return moved


def insert_named_after(
    document: Document,
    base: str,
    *,
    by: User | None,
    on_conflict: Callable[[IntegrityError], None] | None = None,
) -> None:
    """Insert a document named after itself, as ERPNext names customers and suppliers: a name
    already taken gets ' - 2', ' - 3', ... (the next free one found in one query), and a
    concurrent insert that takes it first makes us try the next. ``on_conflict`` may turn an
    integrity error that is not about the name into the right refusal. A name is a path segment
    of the document's pages and endpoints: a "/" in the title is a "-" in it."""
    model = type(document)
    base = base.replace("/", "-")
    for _attempt in range(3):
        document.name = _free_name(model, base)
        try:
            with transaction.atomic():
                stamp_new(document, by=by)
                document._history_user = by
                document.save(force_insert=True)
            return
        except IntegrityError as exc:
            if on_conflict is not None:
                on_conflict(exc)
    raise ConflictError(f"Could not name the {model.doctype.lower()}; try again.")


def _free_name(model: type[Document], base: str) -> str:
    taken = set(
        model._default_manager.filter(Q(pk=base) | Q(pk__startswith=f"{base} - ")).values_list(
            "pk", flat=True
        )
    )
    n = 1
    name = base
    while name in taken:
        n += 1
        name = f"{base} - {n}"
    return name


def stamp_new(document: Document, *, by: User | None, now: datetime | None = None) -> None:
    """Fill the audit columns of a document about to be inserted; ``now`` (a service's clock)
    is also what its name's year comes from."""
    now = now or timezone.now()
    document.creation = now
    document.modified = now
    document.owner = by
    document.modified_by = by
    document.version = 1


# --- a document just written, as a read would give it back --------------------------------------
# (the answer to a create is built from what was inserted, not read again: core/api_documents.py)
_AS_READ = (
    models.DecimalField,
    models.DateTimeField,
    models.DateField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
)


def as_read(instance: Model) -> Model:
    """``instance``'s own columns (not its links) as a read of the row it was just saved as
    would give them: decimals with their column's places (what PostgreSQL's numeric(p, s) and
    Django's SQLite converter answer), aware datetimes in UTC, dates and numbers parsed from
    the text a service may have set. Changes the instance in place and returns it."""
    for f in instance._meta.concrete_fields:
        if f.is_relation or not isinstance(f, _AS_READ):
            continue
        value = getattr(instance, f.attname)
        if value is None:
            continue
        value = f.to_python(value)
        if isinstance(f, models.DecimalField) and f.decimal_places is not None:
            value = value.quantize(Decimal(1).scaleb(-f.decimal_places))
        elif isinstance(f, models.DateTimeField):
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            value = value.astimezone(UTC)
        setattr(instance, f.attname, value)
    return instance
