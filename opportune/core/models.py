"""What every app shares: naming series, the document base, comments, the worker heartbeat."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections, models, transaction
from django.utils import timezone
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from opportune.core import sequences
from opportune.core.audit import current_door
from opportune.core.commits import after_commit_robust
from opportune.core.statements import (
    Placeholders,
    UnsupportedStatementError,
    execute,
    insert_sql,
    keepable,
    update_sql,
)

if TYPE_CHECKING:
    from opportune.core.users import User

NAME_DIGITS = 5


def expand_series(series: str, when: datetime | None = None) -> str:
    """Replace the ``.YYYY.``, ``.YY.`` and ``.MM.`` placeholders of a series by the date."""
    when = timezone.localtime(when or timezone.now())
    prefix = series
    for token, value in ((".YYYY.", f"{when:%Y}"), (".YY.", f"{when:%y}"), (".MM.", f"{when:%m}")):
        prefix = prefix.replace(token, value)
    return prefix


class NamingSeries(models.Model):
    """The last number handed out for one prefix (e.g. ``CRM-OPP-2026-``). On PostgreSQL the
    numbers come from a sequence of the prefix, which no create waits on, and ``current``
    follows it after each commit (decision 0040)."""

    prefix = models.CharField(max_length=60, primary_key=True)
    current = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "naming series"

    def __str__(self) -> str:
        return f"{self.prefix}{self.current:0{NAME_DIGITS}d}"

    @classmethod
    def next_name(cls, series: str, when: datetime | None = None) -> str:
        """Hand out the next name of a series: never the same name twice, also concurrently.

        PostgreSQL: ``nextval`` of the prefix's sequence, which holds no lock, so concurrent
        creates do not wait on each other; a rolled-back create leaves its number unused (a
        gap, as a deleted document does). SQLite: one UPDATE of the counter, in the
        transaction (SQLite lets one writer in at a time anyway: no gap).
        """
        return cls.next_names(series, 1, when)[0]

    @classmethod
    def next_names(cls, series: str, count: int, when: datetime | None = None) -> list[str]:
        """The next ``count`` names of a series in one statement (a bulk write's block), in
        order; consecutive on SQLite, and on PostgreSQL unless others take names meanwhile."""
        prefix = expand_series(series, when)
        rehearsed = _rehearsal.get()
        if connection.vendor == "postgresql" and rehearsed is not None:
            numbers = cls._rehearse(prefix, count, rehearsed)
        elif connection.vendor == "postgresql":
            numbers = cls._take_from_sequence(prefix, count)
        else:
            with transaction.atomic(savepoint=False):  # the caller's transaction, or its own
                current = cls._take(prefix, count)
                if current is None:  # the first of its year
                    NamingSeries.objects.bulk_create(
                        [NamingSeries(prefix=prefix)], ignore_conflicts=True
                    )
                    current = cls._take(prefix, count)
            assert current is not None
            numbers = list(range(current - count + 1, current + 1))
        return [f"{prefix}{n:0{NAME_DIGITS}d}" for n in numbers]

    @classmethod
    def _take(cls, prefix: str, count: int) -> int | None:
        """One statement: the counter moved on by ``count`` (its row locked to the end of the
        transaction), and its new value; None when the prefix has no row yet."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {cls._meta.db_table} SET current = current + %s WHERE prefix = %s "
                "RETURNING current",
                [count, prefix],
            )
            row = cursor.fetchone()
        return None if row is None else int(row[0])

    @classmethod
    def _take_from_sequence(cls, prefix: str, count: int) -> list[int]:
        """PostgreSQL's numbers: the prefix's sequence's, in one statement (made at the
        prefix's first name, after the counter its row kept until then); ``current`` follows
        once the caller commits, in a statement of its own that never goes back, so no
        transaction holds the row."""
        name = sequences.sequence_name(SEQUENCE_KIND, prefix)
        numbers = sequences.take(name, count, start_after=cls._counter(prefix))
        # robust: the create is committed; a database gone at that moment fails this write
        # alone (logged), not the create's answer (the next commit moves the counter on)
        after_commit_robust(cls._follow, prefix, numbers[-1])
        return numbers

    @classmethod
    def _counter(cls, prefix: str) -> tuple[str, list[Any]]:
        """The SQL of the prefix's counter (0 without a row), which its sequence starts after
        and stays above."""
        table = cls._meta.db_table
        return f"SELECT COALESCE(MAX(current), 0) FROM {table} WHERE prefix = %s", [prefix]

    @classmethod
    def _rehearse(cls, prefix: str, count: int, rehearsed: dict[str, int]) -> list[int]:
        """A dry run's numbers (``naming_rehearsal``): the ones the sequence would hand out
        next, and on from there, without taking them."""
        if prefix not in rehearsed:
            name = sequences.sequence_name(SEQUENCE_KIND, prefix)
            rehearsed[prefix] = sequences.peek(name, start_after=cls._counter(prefix))
        first = rehearsed[prefix]
        rehearsed[prefix] = first + count
        return list(range(first, first + count))

    @classmethod
    def _follow(cls, prefix: str, number: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {cls._meta.db_table} (prefix, current) VALUES (%s, %s) "
                "ON CONFLICT (prefix) DO UPDATE SET current = EXCLUDED.current "
                f"WHERE {cls._meta.db_table}.current < EXCLUDED.current",
                [prefix, number],
            )

    @classmethod
    def move_past(cls, prefix: str, number: int) -> None:
        """Names up to ``number`` of the prefix exist (written from elsewhere: an import keeps
        its source's names) or are not to be handed out (the counter set by hand): the next name
        comes after them."""
        NamingSeries.objects.bulk_create([NamingSeries(prefix=prefix)], ignore_conflicts=True)
        NamingSeries.objects.filter(prefix=prefix, current__lt=number).update(current=number)
        if connection.vendor == "postgresql":
            sequences.move_past(sequences.sequence_name(SEQUENCE_KIND, prefix), number)


SEQUENCE_KIND = "core_series"  # the naming series' sequences: core_series_<hash of the prefix>
_rehearsal: ContextVar[dict[str, int] | None] = ContextVar("naming_rehearsal", default=None)


@contextmanager
def naming_rehearsal() -> Iterator[None]:
    """Names given inside (a dry run, rolled back: an import's check) use up no number of their
    series: on PostgreSQL a sequence does not roll back, so they are the numbers the series
    would hand out next, not taken (SQLite's counter rolls back anyway)."""
    token = _rehearsal.set({})
    try:
        yield
    finally:
        _rehearsal.reset(token)


# The columns a document's history leaves out: every change bumps them, none is worth a line.
HISTORY_EXCLUDED = ["version", "modified", "modified_by"]


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but datetimes keep their microseconds (a restored document must come
    back exactly as it was)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


# the parameters a kept INSERT passes as its field prepared them (bool is an int): what the
# database adapts by value, and compares by value in verify mode (a JSON wrapper does not)
_PLAIN_PARAMS = (str, int, float, Decimal, datetime, date, time, UUID, bytes)


class KeptInserts(models.Model):
    """A model whose save INSERTs its row by a kept write (core/statements.py): Django compiles
    a save's INSERT anew every time (its query, its compiler, its SQL: a share of a create's
    CPU), and for one model and one list of fields it is the same SQL."""

    class Meta:
        abstract = True

    def _do_insert(
        self, manager: Any, using: Any, fields: Any, returning_fields: Any, raw: Any
    ) -> Any:
        if raw:  # a fixture's row: Django's
            return super()._do_insert(  # type: ignore[misc]  # private: not in the stubs
                manager, using, fields, returning_fields, raw
            )
        return _kept_insert(self, manager, using, fields, returning_fields)


def _kept_insert(
    instance: models.Model, manager: Any, using: str, fields: list[Any], returning: list[Any]
) -> list[Any]:
    """``Model._do_insert`` by a kept write: the row's parameters as Django's compiler prepares
    them (each field's ``pre_save`` then ``get_db_prep_save``), the SQL kept per model, fields
    and returned fields (it depends on nothing else: a None is a parameter too), the returned
    values as the database gives them. Django's INSERT (of the same pre_save values: an
    auto_now field is not given another time) when ``_insert_params`` or ``_returned_as_is``
    says no."""
    model = manager.model
    connection = connections[using]
    values = [field.pre_save(instance, True) for field in fields]
    row = SimpleNamespace(
        **{field.attname: value for field, value in zip(fields, values, strict=True)}
    )
    params = _insert_params(fields, values, connection)
    if params is not None and _returned_as_is(model, returning, connection):
        key = (
            "models.insert",
            model,
            tuple(field.attname for field in fields),
            tuple(field.attname for field in returning),
        )

        def build(v: Placeholders) -> tuple[str, list[Any]]:
            return insert_sql(model, fields, row, returning, using)

        try:
            return execute(key, build, params, using=using)
        except UnsupportedStatementError:  # before anything ran: Django's path
            pass
    return list(
        manager._insert([row], fields=fields, returning_fields=returning, using=using, raw=True)
    )


def _insert_params(fields: list[Any], values: list[Any], connection: Any) -> list[Any] | None:
    """The INSERT's parameters as Django's compiler prepares them; None when a value is an
    expression (it is SQL), a field makes its own placeholder, or a parameter is not a plain
    value (a JSON wrapper on PostgreSQL)."""
    params = []
    for field, value in zip(fields, values, strict=True):
        if hasattr(value, "resolve_expression") or hasattr(field, "get_placeholder"):
            return None
        param = field.get_db_prep_save(value, connection)
        if param is not None and not isinstance(param, _PLAIN_PARAMS):
            return None
        params.append(param)
    return params


def _returned_as_is(model: type[models.Model], returning: list[Any], connection: Any) -> bool:
    """Whether the database returns the INSERT's returned fields by RETURNING and as the model
    reads them (no converter: an AutoField's key), as a kept write answers them."""
    if not returning:
        return True
    if not connection.features.can_return_columns_from_insert:
        return False
    table = model._meta.db_table
    columns = [field.get_col(table) for field in returning]
    return not any(
        connection.ops.get_db_converters(column) or column.get_db_converters(connection)
        for column in columns
    )


class AuditedHistory(KeptInserts):
    """What every history record adds to django-simple-history's: the door the change came
    through (core.audit) and, for a document with item rows, how its rows changed."""

    history_door = models.CharField(max_length=10, default=current_door, db_index=True)
    # [{"field": "items.2.qty", "old": "1", "new": "3"}, ...] (core.items.row_changes)
    history_rows = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        abstract = True


def _note_row_changes(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    """A document saved with ``_history_rows`` (its item rows' changes) puts them on the
    history record of that save, once."""
    rows = getattr(instance, "_history_rows", None)
    if rows and isinstance(history_instance, AuditedHistory):
        history_instance.history_rows = rows
        instance._history_rows = None


pre_create_historical_record.connect(_note_row_changes, dispatch_uid="core_history_rows")


class _HistoryDescriptor(HistoryDescriptor):  # type: ignore[misc]  # the library is untyped
    """django-simple-history's ``Model.history``, its manager's class made once: the library
    makes one on every access (``Manager.from_queryset``, an ``inspect.getmembers`` of the
    queryset's class: 0.2 ms), and every save reads it to write its history record."""

    @cached_property
    def _manager(self) -> Any:
        return self.manager_class.from_queryset(self.queryset_class)

    def __get__(self, instance: Any, owner: Any) -> Any:
        return self._manager(self.model, instance)


class _AuditedRecords(HistoricalRecords):  # type: ignore[misc]  # the library is untyped
    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        made = sender.__dict__.get(self.manager_name)
        if type(made) is HistoryDescriptor:  # the model's own history (not one it inherits)
            descriptor = _HistoryDescriptor(
                made.model, manager=made.manager_class, queryset=made.queryset_class
            )
            setattr(sender, self.manager_name, descriptor)


def audited_history(**kwargs: Any) -> Any:
    """The history of an audited model (documents, masters, settings): who, when, the values
    before and after, and the door. Read-only by construction: only saves write it."""
    return _AuditedRecords(bases=[AuditedHistory], **kwargs)


class Document(KeptInserts):
    """Base of every named document: name, optimistic-lock version and audit columns.

    ``version`` starts at 1 and goes up by one with every accepted change; a write that names
    an older version is refused (see ``core.documents.lock_document``).
    """

    naming_series: str = ""  # e.g. "CRM-OPP-.YYYY.-"; empty for documents named otherwise
    doctype: str = ""  # the human name used in messages and generic links ("Opportunity")
    # the fields the text search (``q``) looks in, kept in SearchEntry by every save that
    # changes one of them (core.search); empty: the document is not searched that way
    search_fields: tuple[str, ...] = ()

    name = models.CharField(max_length=140, primary_key=True)
    version = models.PositiveIntegerField(default=1)
    creation = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    modified = models.DateTimeField(default=timezone.now, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    # Who made the change being saved: services set it, django-simple-history records it.
    _history_user: User | None
    # the column values when the document was locked (core.documents.lock_document)
    _loaded_values: dict[str, Any]
    # how its item rows change with the save being made (core.items), for its history record
    _history_rows: list[dict[str, Any]] | None

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.keep_derived()
        self.take_name()  # every path (services, admin, shell) gets a name from the series
        if self._state.adding and not args and "update_fields" not in kwargs:
            # a new document: one INSERT, not an UPDATE of a row that cannot exist first
            kwargs.setdefault("force_insert", True)
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if self.search_fields and (
            fields is None or not set(fields).isdisjoint(self.search_fields)
        ):
            SearchEntry.keep(self)

    def take_name(self) -> None:
        """Give a new document its name from its series, unless it has one. ``save`` does it at
        the INSERT; a service that writes rows naming the document before inserting it (the
        assignment rules of a create) calls it first. PostgreSQL's number is taken from a
        sequence, which no other create waits on (decision 0040)."""
        if not self.name and self.naming_series:
            self.name = NamingSeries.next_name(self.naming_series, self.creation)

    def _do_update(
        self,
        base_qs: Any,
        using: Any,
        pk_val: Any,
        values: Any,
        update_fields: Any,
        forced_update: Any,
    ) -> bool:
        """Django's UPDATE of a save (the fields that changed, ``save_document``: every change
        of a document runs one) by a kept write (core/statements.py) when its values can be
        placeholders; else, or when it cannot be kept, Django's."""
        updated = _kept_update(base_qs, using, pk_val, values, forced_update)
        if updated is None:
            updated = super()._do_update(
                base_qs, using, pk_val, values, update_fields, forced_update
            )
        return bool(updated)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        name = self.pk
        deleted = super().delete(*args, **kwargs)
        if self.search_fields:
            SearchEntry.objects.filter(doctype=self.doctype, name=name).delete()
        return deleted

    def keep_derived(self) -> None:
        """Keep the columns a model derives from others before it is written (nothing by
        default). Called by ``save`` and by core.bulk's inserts, so a bulk write keeps them as a
        save does."""


def _kept_update(
    base_qs: Any, using: str, pk_val: Any, values: list[tuple[Any, Any, Any]], forced: Any
) -> bool | None:
    """``Model._do_update``'s UPDATE of one row by its (text) key as a kept write, its row
    count told by ``RETURNING`` the key; None: Django's is to run (an expression or a JSON value
    among the values, a model that reads before it writes, a database without RETURNING). A
    None or a boolean is SQL: in the key."""
    model = base_qs.model
    connection = connections[using]
    if (
        not values
        or (model._meta.select_on_save and not forced)
        or not isinstance(pk_val, str)
        or not connection.features.can_return_columns_from_insert
    ):
        return None
    shape: list[tuple[str, Any]] = []
    named: dict[str, Any] = {"pk": pk_val}
    for field, _model, value in values:
        if value is None or isinstance(value, bool):
            shape.append((field.attname, value))
        elif keepable(value) and not isinstance(field, models.JSONField):
            shape.append((field.attname, "$"))
            named[field.attname] = value
        else:
            return None

    def build(v: Placeholders) -> tuple[str, list[Any]]:
        changes = {name: getattr(v, name) if kind == "$" else kind for name, kind in shape}
        sql, params = update_sql(base_qs.filter(pk=v.pk), changes, using)
        return f"{sql} RETURNING {connection.ops.quote_name(model._meta.pk.column)}", params

    try:
        rows = execute(("models.update", model, tuple(shape)), build, using=using, **named)
    except UnsupportedStatementError:  # before anything ran: Django's path
        return None
    return bool(rows)


class Comment(KeptInserts):
    """A line on a document's timeline: a user's comment or a note the system wrote.

    Documents are referred to as ERPNext does, by doctype and name, so any app can comment on
    any document without a foreign key per doctype.
    """

    class Type(models.TextChoices):
        COMMENT = "Comment"
        INFO = "Info"
        LABEL = "Label"  # a status change
        ASSIGNED = "Assigned"

    reference_doctype = models.CharField(max_length=60)
    reference_name = models.CharField(max_length=140)
    comment_type = models.CharField(max_length=20, choices=Type.choices, default=Type.COMMENT)
    content = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    creation = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["reference_doctype", "reference_name", "-creation"])]
        ordering = ["-creation", "-id"]

    def __str__(self) -> str:
        return f"{self.comment_type} on {self.reference_doctype} {self.reference_name}"


class Heartbeat(models.Model):
    """When a background worker last proved it was alive (one row per worker kind)."""

    worker = models.CharField(max_length=60, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class DeletedDocument(models.Model):
    """A copy of a document (or master) taken as it was deleted, with its item rows, from
    which a manager can restore it (ERPNext's Deleted Document). ``data`` holds Django's
    serialisation of the record and of its child rows, in the order they are restored."""

    doctype = models.CharField(max_length=60)
    name = models.CharField(max_length=140)
    model = models.CharField(max_length=100)  # the app label and model ("crm.opportunity")
    data = models.JSONField(encoder=ExactJSONEncoder)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(default=timezone.now)
    door = models.CharField(max_length=10, default=current_door)
    restored = models.BooleanField(default=False)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-deleted_at", "-id"]
        indexes = [
            models.Index(fields=["-deleted_at", "-id"], name="deleted_doc_recent"),
            models.Index(fields=["doctype", "name"], name="deleted_doc_name"),
        ]

    def __str__(self) -> str:
        return f"{self.doctype} {self.name} (deleted {self.deleted_at:%Y-%m-%d %H:%M})"


def doctype_of(model: type[models.Model]) -> str:
    """A model's doctype: a document's own, else its verbose name in title case."""
    if issubclass(model, Document) and model.doctype:
        return model.doctype
    words = str(model._meta.verbose_name).split()
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in words)


class Job(models.Model):
    """One durable background job (core.jobs): written in the transaction that asks for it,
    handed to the queue when that commits, claimed by one worker at a time under a lease, and
    marked done in the same transaction as its handler's effects.

    ``key`` makes asking twice harmless: a second job with the same key is not added.
    """

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for a worker (again, after a failed attempt or a lost lease)
        RUNNING = "running"  # claimed by a worker until lease_until
        DONE = "done"
        FAILED = "failed"  # gave up after its last attempt: a person retries or deletes it

    name = models.CharField(max_length=100)  # the handler's registered name (core.jobs)
    args = models.JSONField(default=dict, blank=True)  # the handler's keyword arguments
    key = models.CharField(max_length=200, unique=True)  # the idempotency key
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # claims so far (the fencing token)
    run_after = models.DateTimeField(default=timezone.now)  # not before (retries back off)
    handed_at = models.DateTimeField(null=True, blank=True)  # last put on the queue
    lease_until = models.DateTimeField(null=True, blank=True)  # the running claim ends
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_after"], name="core_job_status_run_after")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "done", "failed"]),
                name="core_job_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.status})"


class ScheduleState(models.Model):
    """Where one periodic job of the schedule (core.schedule) stands: since when the workers
    know it (its slots before that are not run) and the latest slot handed to the ledger (each
    slot once, even after its job row is deleted)."""

    name = models.CharField(max_length=100, primary_key=True)  # the job's registered name
    first_seen = models.DateTimeField()
    last_slot = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "scheduled job"
        verbose_name_plural = "schedule"

    def __str__(self) -> str:
        return self.name


class SearchEntry(models.Model):
    """The searchable text of one document (its ``search_fields``), in a table of its own so
    that the text index is written only when that text changes: an UPDATE of a status or an
    amount does not touch it (decision 0022). PostgreSQL indexes ``text`` with trigrams, SQLite
    with an FTS5 trigram table kept by triggers (migration core 0005); core.search queries it."""

    doctype = models.CharField(max_length=40)
    name = models.CharField(max_length=140)
    text = models.TextField()

    class Meta:
        verbose_name_plural = "search entries"
        constraints = [
            models.UniqueConstraint(fields=["doctype", "name"], name="core_searchentry_document")
        ]

    def __str__(self) -> str:
        return f"{self.doctype} {self.name}"

    @staticmethod
    def text_of(document: Document) -> str:
        values = (getattr(document, field) for field in document.search_fields)
        return "\n".join(str(value) for value in values if value not in (None, ""))

    @classmethod
    def keep(cls, document: Document) -> None:
        """Write (insert or replace) the document's entry: one statement."""
        SearchEntry.objects.bulk_create(
            [SearchEntry(doctype=document.doctype, name=document.pk, text=cls.text_of(document))],
            update_conflicts=True,
            unique_fields=["doctype", "name"],
            update_fields=["text"],
        )


class SavedView(models.Model):
    """A list's filters, search, sort and columns (or a board's grouping) saved under a label:
    the URL query it stands for (core.saved_views). The owner's own, or shared with the team
    (managers only); at most one default per user and list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    label = models.CharField(max_length=140)
    resource = models.CharField(max_length=40)
    query = models.CharField(max_length=2000, blank=True, default="")
    shared = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    creation = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label", "id"]
        indexes = [models.Index(fields=["resource", "user"], name="core_savedview_resource")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "resource"],
                condition=models.Q(is_default=True),
                name="core_savedview_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.resource})"

    @property
    def name(self) -> str:
        return str(self.pk)


class ImportJob(models.Model):
    """One upload of rows to import (core.imports, decision 0030): the file as read (its rows
    normalised to UTF-8 CSV text), the columns' mapping, the dry run's and the run's progress
    and counts. Each row's outcome is an ``ImportRow``. Seen by its user only."""

    class Status(models.TextChoices):
        MAPPING = "mapping"  # uploaded: the columns are being mapped
        CHECKING = "checking"  # the dry run runs
        CHECKED = "checked"  # the dry run's outcomes are shown: choose how to import
        IMPORTING = "importing"
        DONE = "done"  # imported (all rows, or the valid ones)
        FAILED = "failed"  # all-or-nothing with an error: nothing was imported

    class Mode(models.TextChoices):
        ALL = "all", "All or nothing"
        VALID = "valid", "Only the valid rows"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    doctype = models.CharField(max_length=60)
    filename = models.CharField(max_length=255)
    header = models.JSONField(default=list)  # the file's column titles, in order
    rows = models.BinaryField()  # the data rows (after the header), as UTF-8 CSV
    total = models.PositiveIntegerField(default=0)  # data rows in the file
    mapping = models.JSONField(default=dict)  # column title -> field ("" ignored)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    mode = models.CharField(max_length=5, choices=Mode.choices, blank=True)
    processed = models.PositiveIntegerField(default=0)  # rows done by the current pass
    succeeded = models.PositiveIntegerField(default=0)  # documents (would be) created
    failed = models.PositiveIntegerField(default=0)  # documents with errors
    message = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "doctype", "-created"], name="core_import_user")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["mapping", "checking", "checked", "importing", "done", "failed"]
                ),
                name="core_importjob_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.doctype} import {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return min(100, self.processed * 100 // self.total) if self.total else 100


class ImportRow(models.Model):
    """The outcome of one document of an import: the file's rows it came from (several for a
    document with item rows), created or would be (its name), or its errors by field."""

    class Outcome(models.TextChoices):
        VALID = "valid"  # the dry run found no error
        CREATED = "created"
        ERROR = "error"
        SKIPPED = "skipped"  # all-or-nothing failed: valid but not imported

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="outcomes")
    row = models.PositiveIntegerField()  # the file's row number (the header is row 1)
    last_row = models.PositiveIntegerField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    name = models.CharField(max_length=140, blank=True)
    errors = models.JSONField(default=dict, blank=True)  # field -> messages

    class Meta:
        indexes = [models.Index(fields=["job", "outcome", "row"], name="core_importrow_job")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.outcome}"
