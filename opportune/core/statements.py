"""Compiled statements: a queryset's SQL built once per process, run again with new values
(issue 12; docs/decisions/0037-compiled-statements.md).

Building a queryset (``filter``, ``values``, ``annotate``: paths, joins, clones) and compiling it
to SQL costs Django about 1 ms of CPU a query here; executing the same SQL raw costs a tenth of
that. The hot requests (GET one, a list page, authentication, a write's checks) run the same few
statements with different values. ``fetch`` keeps each statement's SQL and runs it again:

    rows = fetch(
        ("crm.one", plan_key),                       # everything that changes the SQL's shape
        lambda v: Opportunity.objects.filter(pk=v.name).values("name", "status"),
        name=name,                                   # the values: str, int, datetime, date,
    )                                                # or a list/tuple of those
    # -> what list(queryset) would give: dicts, tuples, flat values or model instances

On a miss ``build`` runs once with placeholder values (``v.name``); the compiled SQL is kept
with the positions where each placeholder landed among its parameters, and the real values go
there. The key must name everything else the SQL depends on (a role that adds a filter, a
setting, a field list); its values' kinds (and a list's length) are added to it by ``fetch``.

Safe by construction where it can be: a placeholder that does not land as a parameter of its
own (inside a LIKE pattern, in the SQL text, converted to another type) makes the statement
unsupported, and it is then run through the ORM as usual. ``settings.STATEMENTS_VERIFY`` (on in
the tests) builds and compiles the queryset again on every call and raises when the kept SQL or
its parameters differ: a key that misses something the SQL depends on fails the suite.

``execute`` keeps a write's SQL the same way (an UPDATE compiled by ``update_sql``, its
RETURNING rows answered): the version claim, a document's save (docs/decisions/0038). A save's
INSERT (``insert_sql``) keeps only its SQL: its parameters are the row's values as each field
prepares them, computed by the caller as Django's compiler computes them (core.models).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.db.models import query as orm_query
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
)
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.utils import create_namedtuple_class

from opportune.core import master_cache

__all__ = [
    "Placeholders",
    "Statement",
    "StatementMismatchError",
    "UnsupportedStatementError",
    "clear",
    "execute",
    "fetch",
    "fetch_master",
    "insert_sql",
    "keepable",
    "q_from",
    "q_template",
    "unfiltered",
    "update_sql",
    "visible_statement",
]

Build = Callable[["Placeholders"], QuerySet[Any]]
# a write's SQL compiled with the values of ``v`` (``execute``): its text and parameters
SqlBuild = Callable[["Placeholders"], tuple[str, Sequence[Any]]]

#: entries kept per process (a shape each; a process uses a few dozen): cleared when full
MAX_STATEMENTS = 4096

# placeholder values: ints in the range of every integer field but the small ones (Django
# drops a lookup whose integer is outside its field's range: a positive field's too, so they
# are positive) that no key, count or id of ours reaches; strings no user types
_INT_BASE = 2_147_480_000
_STR_MARK = "\u2983stmt\u2984"


class UnsupportedStatementError(Exception):
    """The statement cannot be kept (a placeholder does not land as a parameter of its own)."""


class _Repeated(Exception):
    """A list with a value twice: run through the ORM (not an error)."""


class StatementMismatchError(AssertionError):
    """Verify mode: the kept SQL or parameters differ from a fresh compilation."""


@dataclass(frozen=True)
class _Slot:
    """Where a placeholder landed: the parameter's index, the value's name, its element (a
    list's), and how the backend adapted it (None: as given)."""

    index: int
    name: str
    element: int | None
    adapt: Callable[[Any], Any] | None


class Placeholders:
    """What ``build`` reads its values from: a placeholder per value on a miss, the real values
    in verify mode."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no value {name!r} was given to fetch()") from None


def _placeholder(kind: type, number: int) -> Any:
    if kind is int:
        return _INT_BASE + number
    if kind is str:
        return f"{_STR_MARK}{number}{_STR_MARK}"
    if kind is datetime:
        return datetime(1, 1, 1, 0, 0, 0, 10_000 + number, tzinfo=UTC)
    if kind is date:
        return date(1, 1, 1) + timedelta(days=number)
    if kind is Decimal:  # not a whole number: never equal to an int placeholder
        return Decimal(f"-2147.{480_000 + number}")
    raise UnsupportedStatementError(f"a value of type {kind.__name__} cannot be a placeholder")


def _kind(value: Any) -> Hashable:
    """The kind of a value in the key: its type, or a list's length and element types."""
    if isinstance(value, bool) or value is None:
        raise UnsupportedStatementError("None and booleans change the SQL: put them in the key")
    if isinstance(value, list | tuple):
        if len(set(value)) != len(value):  # IN drops duplicates: another statement's shape
            raise _Repeated
        return ("seq", len(value), tuple(_kind(element) for element in value))
    for kind in (datetime, date, int, str, Decimal):  # datetime first: a datetime is a date
        if isinstance(value, kind):
            return kind
    raise UnsupportedStatementError(
        f"a value of type {type(value).__name__} cannot be a placeholder"
    )


def _adapters(connection: Any, kind: type) -> list[Callable[[Any], Any] | None]:
    """How a backend may have turned a placeholder of ``kind`` into its parameter."""
    ops = connection.ops
    if kind is datetime:
        return [None, ops.adapt_datetimefield_value]
    if kind is date:
        return [None, ops.adapt_datefield_value]
    return [None]


class _Compiled:
    """One kept statement: its SQL, parameters, slots and how its rows become results."""

    def __init__(self, queryset: QuerySet[Any], marks: dict[str, Any]) -> None:
        db = queryset.db
        connection = connections[db]
        self.db = db
        if queryset._prefetch_related_lookups or queryset._known_related_objects:  # type: ignore[attr-defined]
            raise UnsupportedStatementError("prefetch_related and related managers are not kept")
        compiler = queryset.query.get_compiler(using=db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            _no_integer_placeholder(marks)
            self.empty = True
            return
        self.empty = False
        self.sql = sql
        self.params = list(params)
        self.slots = self._find_slots(connection, sql, self.params, marks)
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise UnsupportedStatementError("composite fields are not kept")
        self.converters = list(compiler.get_converters(fields).items())
        self._materialiser(queryset, compiler)

    @staticmethod
    def _find_slots(
        connection: Any, sql: str, params: list[Any], marks: dict[str, Any]
    ) -> tuple[_Slot, ...]:
        wanted: dict[Any, tuple[str, int | None, Callable[[Any], Any] | None]] = {}
        for name, mark in marks.items():
            pairs: list[tuple[int | None, Any]] = (
                list(enumerate(mark)) if isinstance(mark, list) else [(None, mark)]
            )
            for element, each in pairs:
                kind = datetime if isinstance(each, datetime) else type(each)
                for adapt in _adapters(connection, kind):
                    wanted[adapt(each) if adapt else each] = (name, element, adapt)
                if str(each) in sql:
                    raise UnsupportedStatementError("a placeholder landed in the SQL text")
        slots, seen = [], set()
        for index, param in enumerate(params):
            found = wanted.get(param) if isinstance(param, Hashable) else None
            if found is not None:
                name, element, adapt = found
                slots.append(_Slot(index, name, element, adapt))
                seen.add((name, element))
            elif isinstance(param, str) and _STR_MARK in param:
                raise UnsupportedStatementError("a placeholder landed inside a parameter")
        for name, mark in marks.items():
            positions: list[int | None] = (
                list(range(len(mark))) if isinstance(mark, list) else [None]
            )
            for position in positions:
                if (name, position) not in seen:
                    raise UnsupportedStatementError(f"the value {name!r} is not a parameter")
        return tuple(slots)

    def _materialiser(self, queryset: QuerySet[Any], compiler: Any) -> None:
        iterable = queryset._iterable_class
        query = queryset.query
        self.kind = iterable
        if iterable is ValuesIterable:
            selected = query.selected
            self.names = (
                list(selected)
                if selected
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )
        elif iterable is NamedValuesListIterable:
            names = queryset._fields or [  # type: ignore[attr-defined]
                *query.extra_select,
                *query.values_select,
                *query.annotation_select,
            ]
            self.tuple_class = create_namedtuple_class(*names)
        elif iterable is ModelIterable:
            select, klass_info = compiler.select, compiler.klass_info
            self.model = klass_info["model"]
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            self.model_slice = slice(start, end)
            self.init_list = [column[0].target.attname for column in select[start:end]]
            self.populators = orm_query.get_related_populators(  # type: ignore[attr-defined]
                klass_info, select, self.db
            )
            self.annotations = list(compiler.annotation_col_map.items())
        elif iterable not in (ValuesListIterable, FlatValuesListIterable):
            raise UnsupportedStatementError(f"{iterable.__name__} results are not kept")

    def params_for(self, values: dict[str, Any]) -> list[Any]:
        return _params_for(self.params, self.slots, values)

    def results(self, rows: list[Any]) -> list[Any]:
        connection = connections[self.db]
        if self.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for position, (converters, expression) in self.converters:
                    value = row[position]
                    for converter in converters:
                        value = converter(value, expression, connection)
                    row[position] = value
        kind = self.kind
        if kind is ValuesIterable:
            names = self.names
            return [dict(zip(names, row, strict=True)) for row in rows]
        if kind is ValuesListIterable:
            return [tuple(row) for row in rows]
        if kind is FlatValuesListIterable:
            return [row[0] for row in rows]
        if kind is NamedValuesListIterable:
            new = tuple.__new__
            return [new(self.tuple_class, row) for row in rows]
        found = []
        for row in rows:
            instance = self.model.from_db(self.db, self.init_list, row[self.model_slice])
            for populator in self.populators:
                populator.populate(row, instance)
            for attribute, position in self.annotations:
                setattr(instance, attribute, row[position])
            found.append(instance)
        return found


def _no_integer_placeholder(marks: dict[str, Any]) -> None:
    """A statement compiled to "no rows" is kept so only when no integer placeholder may have
    made it so (an integer outside its field's range drops the lookup: a small integer's)."""
    for mark in marks.values():
        for each in mark if isinstance(mark, list) else [mark]:
            if isinstance(each, int):
                raise UnsupportedStatementError("an integer value may be outside its field's range")


def _params_for(kept: list[Any], slots: tuple[_Slot, ...], values: dict[str, Any]) -> list[Any]:
    """The kept parameters with the values at their slots."""
    params = list(kept)
    for slot in slots:
        value = values[slot.name]
        if slot.element is not None:
            value = value[slot.element]
        params[slot.index] = slot.adapt(value) if slot.adapt else value
    return params


@dataclass(frozen=True)
class _KeptSql:
    """A write's kept SQL (``execute``): its text, its parameters and their slots."""

    sql: str
    params: list[Any]
    slots: tuple[_Slot, ...]


def keepable(value: Any) -> bool:
    """Whether ``value`` can be one of ``fetch``'s values (a list may repeat one: then fetch
    runs it through the ORM)."""
    try:
        _kind(value)
    except _Repeated:
        return True
    except UnsupportedStatementError:
        return False
    return True


@dataclass(frozen=True)
class Statement:
    """A queryset as a kept statement: ``build(values)`` makes it; ``key`` names everything
    else its SQL depends on (what ``fetch`` takes, handed on by a caller that adds to it)."""

    key: Hashable
    build: Build
    values: dict[str, Any]
    model: type[Model]

    def queryset(self) -> QuerySet[Any]:
        """The queryset itself, with the real values (for what the ORM answers instead)."""
        return self.build(Placeholders(self.values))


def unfiltered(rows: QuerySet[Any]) -> bool:
    """Whether ``rows`` (what a user sees: an app's ``<things>_visible_to``) has no condition:
    then its SQL is the same whoever asks, and a statement built on it can be kept under a
    key that names no user; a record rule's rows name the user (and ``none()`` names nothing)."""
    query = rows.query
    return not (query.has_filters() or query.is_empty())


def visible_statement(
    key: Hashable,
    visible: QuerySet[Any],
    condition: Q,
    then: Callable[[QuerySet[Any], Placeholders], QuerySet[Any]],
    **values: Any,
) -> Statement | None:
    """``then(visible.filter(condition), v)`` as a kept statement (a list's filters and what it
    reads beside them), with ``condition``'s values and ``values`` as its values; None when
    ``visible`` names the user (``unfiltered``) or a value of ``condition`` cannot be a
    placeholder: the caller builds the queryset itself."""
    template = q_template(condition) if unfiltered(visible) else None
    if template is None:
        return None
    shape, found = template

    def build(v: Placeholders) -> QuerySet[Any]:
        return then(visible.filter(q_from(shape, v)), v)

    return Statement((key, shape), build, {**found, **values}, visible.model)


class _NotTemplated(Exception):
    pass


def q_template(q: Q, prefix: str = "q") -> tuple[Hashable, dict[str, Any]] | None:
    """``q``'s shape (its lookups, connectors, negations, and its None and boolean values,
    which change the SQL) and its other values, named ``<prefix>0``, ``<prefix>1``...; None
    when a value cannot be a placeholder (an expression, a model instance): the ORM answers."""
    values: dict[str, Any] = {}

    def shape(node: Q) -> Hashable:
        children: list[Hashable] = []
        for child in node.children:
            if isinstance(child, Q):
                children.append(shape(child))
                continue
            if not (isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], str)):
                raise _NotTemplated
            lookup, value = child
            if value is None or isinstance(value, bool):
                children.append(("=", lookup, value))
            elif keepable(value):
                name = f"{prefix}{len(values)}"
                values[name] = list(value) if isinstance(value, list | tuple) else value
                children.append(("$", lookup, name))
            else:
                raise _NotTemplated
        return ("Q", node.connector, node.negated, tuple(children))

    try:
        return shape(q), values
    except _NotTemplated:
        return None


def q_from(shape: Any, v: Placeholders) -> Q:
    """The Q of ``q_template``'s ``shape`` with the values (or placeholders) of ``v``."""
    _tag, connector, negated, children = shape
    made: list[Any] = []
    for child in children:
        if child[0] == "Q":
            made.append(q_from(child, v))
        elif child[0] == "=":
            made.append((child[1], child[2]))
        else:
            made.append((child[1], getattr(v, child[2])))
    return Q(*made, _connector=connector, _negated=negated)


_kept: dict[Hashable, _Compiled | _KeptSql | None] = {}
_lock = threading.Lock()


def clear() -> None:
    """Forget every kept statement (tests that change the schema or the settings)."""
    with _lock:
        _kept.clear()


def _full_key(kind: str, using: str, key: Hashable, values: dict[str, Any]) -> Hashable:
    """The key a statement is kept under: ``key`` and what else its SQL depends on (the
    database, and each value's kind: a list's length); _Repeated or
    UnsupportedStatementError for values no statement takes."""
    kinds = tuple((name, _kind(value)) for name, value in values.items())
    return (kind, using, connections[using].vendor, key, kinds)


def _keep(full_key: Hashable, entry: _Compiled | _KeptSql | None) -> None:
    with _lock:
        if len(_kept) >= MAX_STATEMENTS:  # a few dozen are used: a flood of shapes is dropped
            _kept.clear()
        _kept[full_key] = entry


def _same(kept_sql: str, params: list[Any], sql: str, fresh: Sequence[Any]) -> None:
    """Verify mode: the kept statement with these values is what a fresh compilation gives."""
    if sql != kept_sql or list(fresh) != params:
        raise StatementMismatchError(
            f"the kept statement differs from a fresh compilation:\n kept: {kept_sql}\n"
            f" {params}\n fresh: {sql}\n {list(fresh)}"
        )


def _marks(values: dict[str, Any]) -> dict[str, Any]:
    """A placeholder of each value's kind (a choice of a ``TextChoices`` is a text)."""
    marks: dict[str, Any] = {}
    number = 0
    for name, value in values.items():
        if isinstance(value, list | tuple):
            mark = []
            for element in value:
                mark.append(_placeholder(_kind(element), number))  # type: ignore[arg-type]
                number += 1
            marks[name] = mark
        else:
            marks[name] = _placeholder(_kind(value), number)  # type: ignore[arg-type]
            number += 1
    return marks


def fetch(key: Hashable, build: Build, /, using: str = "default", **values: Any) -> list[Any]:
    """What ``list(build(values))`` gives, from the statement kept under ``key`` (compiled on
    the first call of each shape)."""
    return _fetch(key, build, using, values, master=False)


def fetch_master(
    key: Hashable, build: Build, /, using: str = "default", **values: Any
) -> list[Any]:
    """``fetch`` for a statement that reads only tables of master data kept by
    ``core.master_cache`` (``keep_tables``): its rows are kept in the process, by statement and
    values, until one of those tables changes (docs/decisions/0047)."""
    return _fetch(key, build, using, values, master=True)


def _fetch(
    key: Hashable, build: Build, using: str, values: dict[str, Any], *, master: bool
) -> list[Any]:
    try:
        full_key = _full_key("fetch", using, key, values)
    except _Repeated:
        return list(build(Placeholders(values)))
    except UnsupportedStatementError:
        if getattr(settings, "STATEMENTS_VERIFY", False):
            raise
        return list(build(Placeholders(values)))
    # one lookup, not `in` then [ ]: another thread may clear the statements between the two
    try:
        compiled = _kept[full_key]
    except KeyError:
        compiled = _compile(full_key, build, values)
    assert not isinstance(compiled, _KeptSql)  # execute's keys are its own
    if compiled is None:  # not kept: run through the ORM
        return list(build(Placeholders(values)))
    if compiled.empty:
        if getattr(settings, "STATEMENTS_VERIFY", False):
            _verify_empty(build, values)
        return []
    params = compiled.params_for(values)
    if getattr(settings, "STATEMENTS_VERIFY", False):
        _verify(compiled, build, values, params)
    connection = connections[compiled.db]
    run = partial(_rows, connection, compiled.sql, params)
    rows = master_cache.rows(connection, (full_key, *params), run) if master else run()
    return compiled.results(rows)


def _rows(connection: Any, sql: str, params: list[Any]) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[Any] = cursor.fetchall()
        return rows


def _compile(full_key: Hashable, build: Build, values: dict[str, Any]) -> _Compiled | None:
    try:
        marks = _marks(values)
        compiled: _Compiled | None = _Compiled(build(Placeholders(marks)), marks)
    except UnsupportedStatementError:
        if getattr(settings, "STATEMENTS_VERIFY", False):
            raise
        compiled = None
    _keep(full_key, compiled)
    return compiled


def _verify_empty(build: Build, values: dict[str, Any]) -> None:
    queryset = build(Placeholders(values))
    try:
        queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return
    raise StatementMismatchError("the kept statement returns no rows; a fresh one has SQL")


def _verify(compiled: _Compiled, build: Build, values: dict[str, Any], params: list[Any]) -> None:
    queryset = build(Placeholders(values))
    try:
        sql, fresh = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        raise StatementMismatchError("the kept statement returns rows; a fresh one none") from None
    _same(compiled.sql, params, sql, fresh)


def execute(
    key: Hashable,
    build: SqlBuild,
    params: Sequence[Any] | None = None,
    /,
    using: str = "default",
    **values: Any,
) -> list[tuple[Any, ...]]:
    """A write's SQL kept as ``fetch`` keeps a read's: ``build(v)`` compiles it with the values
    of ``v`` (an UPDATE from a query: ``(sql, params)``); run again with new values, it answers
    the rows it returns (a RETURNING clause's, as the database gives them), else none. The same
    rules as ``fetch``: the key names everything else the SQL depends on (None and booleans
    included), what cannot be kept is compiled each time, and verify mode compiles it again on
    every call and raises when the kept SQL or parameters differ.

    ``params`` instead of values (an INSERT's row, ``insert_sql``): the statement's parameters
    as the caller prepared them, of any type; only the SQL is kept, and only when its first
    compilation takes exactly these parameters (then it cannot depend on them: the key names
    what it depends on)."""
    connection = connections[using]
    verify = getattr(settings, "STATEMENTS_VERIFY", False)
    kept: _KeptSql | None = None
    try:
        kind = "execute" if params is None else "execute-given"
        full_key = _full_key(kind, using, key, values)
    except _Repeated:
        pass
    except UnsupportedStatementError:
        if verify:
            raise
    else:
        try:  # one lookup (fetch says why)
            found = _kept[full_key]
        except KeyError:
            found = _keep_sql(full_key, using, build, values, params)
        assert not isinstance(found, _Compiled)  # fetch's keys are its own
        kept = found
    if kept is None:  # not kept: compiled now
        try:
            sql, fresh = build(Placeholders(values))
        except EmptyResultSet:  # nothing can match: nothing to run (as Django's writes do)
            return []
        run = list(fresh)
    else:
        sql = kept.sql
        run = list(params) if params is not None else _params_for(kept.params, kept.slots, values)
        if verify:
            _same(sql, run, *build(Placeholders(values)))
    with connection.cursor() as cursor:
        cursor.execute(sql, run)
        return list(cursor.fetchall()) if cursor.description is not None else []


def insert_sql(
    model: type[Model], fields: Sequence[Any], row: Any, returning: Sequence[Any], using: str
) -> tuple[str, list[Any]]:
    """The SQL of a save's INSERT of one row of ``model`` (``fields`` with the values of
    ``row``'s attributes, pre_save already given, as a raw save reads them) returning the
    fields ``returning``, and its parameters (an ``execute`` build's, with the row's prepared
    parameters: Django's ``Model._do_insert`` compiled); UnsupportedStatementError when it is
    not one statement or has parameters of its own after the row's (Oracle's RETURNING)."""
    query = InsertQuery(model)
    query.insert_values(fields, [row], raw=True)
    compiler = query.get_compiler(using)
    compiler.returning_fields = returning
    made = compiler.as_sql()
    if len(made) != 1 or compiler.returning_params:
        raise UnsupportedStatementError("not one INSERT taking the row's parameters only")
    sql, params = made[0]
    return sql, list(params)


def update_sql(rows: QuerySet[Any], changes: dict[str, Any], using: str) -> tuple[str, list[Any]]:
    """The SQL of ``rows.update(**changes)`` and its parameters (an ``execute`` build's);
    UnsupportedStatementError when it is not one UPDATE of one table."""
    query = rows.query.chain(UpdateQuery)
    assert isinstance(query, UpdateQuery)
    query.add_update_values(changes)
    query.annotations = {}
    sql, params = query.get_compiler(using).as_sql()
    if not sql or query.related_updates:
        raise UnsupportedStatementError("not one UPDATE of one table")
    return sql, list(params)


def insert_unless_taken(
    instance: Model,
    *,
    returning: str,
    conflict: Sequence[str] = (),
    computed: dict[str, tuple[str, list[Any]]] | None = None,
    using: str = "default",
) -> Any:
    """``INSERT ... ON CONFLICT [(conflict)] DO NOTHING RETURNING returning`` of one new
    ``instance`` (SQLite 3.35+ and PostgreSQL): the returned column's value, or None when a
    unique key was taken and nothing was written (Django's ``ignore_conflicts`` answers
    nothing either way). ``computed``: columns whose value the statement computes, as
    ``{column: (sql, params)}`` in place of the instance's value."""
    computed = computed or {}
    connection = connections[using]
    qn = connection.ops.quote_name
    fields = [f for f in instance._meta.concrete_fields if not f.primary_key]
    columns, marks, params = [], [], []
    for f in fields:
        columns.append(qn(f.column))
        if f.column in computed:
            sql, values = computed[f.column]
            marks.append(sql)
            params += values
        else:
            marks.append("%s")
            params.append(f.get_db_prep_save(f.pre_save(instance, True), connection))
    target = f" ({', '.join(qn(c) for c in conflict)})" if conflict else ""
    sql = (
        f"INSERT INTO {qn(instance._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(marks)}) ON CONFLICT{target} DO NOTHING RETURNING {qn(returning)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def _keep_sql(
    full_key: Hashable,
    using: str,
    build: SqlBuild,
    values: dict[str, Any],
    given: Sequence[Any] | None,
) -> _KeptSql | None:
    kept: _KeptSql | None
    try:
        marks = _marks(values)
        try:
            sql, params = build(Placeholders(marks))
        except EmptyResultSet:  # a value that matches nothing: not a statement to keep
            raise UnsupportedStatementError("the write compiles to nothing") from None
        if given is None:
            slots = _Compiled._find_slots(connections[using], sql, list(params), marks)
            kept = _KeptSql(sql, list(params), slots)
        elif list(params) == list(given):  # the caller's parameters are the statement's own
            kept = _KeptSql(sql, [], ())
        else:
            raise UnsupportedStatementError("the statement does not take the parameters given")
    except UnsupportedStatementError:
        if getattr(settings, "STATEMENTS_VERIFY", False):
            raise
        kept = None
    _keep(full_key, kept)
    return kept
