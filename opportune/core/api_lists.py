"""Lean list rows (API.md, Lists): a list answers each document's own fields, not its child
tables; ``fields=name,status`` chooses the columns (as ERPNext's ``fields``) and only those are
read from the database; ``expand=items`` adds a child table's rows (prefetched). ``GET
.../<name>`` still answers the whole document (its ``out`` schema).

Everything is derived from the document's ``out`` schema and the child tables its DocumentApi
names (``prefetch``), once per document type:

- the row schema (``<Doc>Row``): ``out``'s fields, all but ``name`` optional (a column not
  chosen is left out of the answer), the child tables only with ``expand``;
- which columns and joins a choice of fields needs: a field read from the model is its column; a
  field a resolver answers is what the resolver ``reads`` (core/schemas.py: ``owner__username``
  joins the owner and loads its username only). A resolver that does not say loads the whole
  row, as before: never wrong, only wider.

The lean path (``Plan.lean``, docs/decisions/0023-lean-lists-and-prepared-statements.md): when
every field is a column or a resolver reading columns and one-step links (``owner__username``,
``currency__precision``) and nothing is expanded, the page is ONE query on the document's own
table (``.values()``: no join, no model instance), the links
read in the same query as correlated subqueries on their keys (the users of owner, modified_by,
opportunity_owner and contact_by, the currency's precision: no join for the planner to order),
and each row is a plain object the schema's own resolvers read, validated as a whole page by
pydantic (no per-attribute getter) and rendered by the API's JSON renderer
(core/renderers.py): the same answer as the full path's. PostgreSQL planned the five-join
query in 7-12 ms; the join-free one in 0.2 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field as ModelField
from django.db.models import (
    ForeignKey,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import BaseModel, Field, TypeAdapter, create_model, field_validator
from pydantic.fields import FieldInfo

from opportune.core.company import company_precision_expression
from opportune.core.errors import ValidationError
from opportune.core.fields import reject_nul
from opportune.core.renderers import RENDERER
from opportune.core.schemas import COMPANY_PRECISION, remember_company_precision


class BadListQuery(ValidationError):
    """A ``fields`` or ``expand`` naming what the list does not answer: a bad request (400),
    naming the parameter and the names it does not know."""

    http_status = 400


class RowParams(Schema):
    fields: str | None = Field(
        None,
        max_length=2000,
        description="The columns of each row, comma-separated (name is always answered); "
        "default: every list field",
    )
    expand: str | None = Field(
        None,
        max_length=200,
        description="Child tables to add to each row, comma-separated (e.g. items)",
    )

    _no_nul = field_validator("fields", "expand", mode="before")(reject_nul)


def _names(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Link:
    """A one-step link a resolver reads (``owner__username``): the foreign key (``owner``, its
    column ``owner_id``), the model it points to and the fields read there."""

    field: str
    attname: str
    model: type[Model]
    target: str  # the column of ``model`` the key holds (its primary key, or a to_field)
    reads: tuple[str, ...]

    def alias(self, read: str) -> str:
        """The name of the column read there in the page's query (``lean_owner_username``)."""
        return f"lean_{self.field}_{read}"


@dataclass(frozen=True)
class Plan:
    """How to read the rows of one choice of fields: the columns to load (``None``: the
    whole row), the joins and the child tables to prefetch; for the lean path (``lean``), the
    own columns (``values``) and the links read afterwards, one query per linked table."""

    only: tuple[str, ...] | None
    joins: tuple[str, ...]
    prefetch: tuple[str, ...]
    values: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    lean: bool = False
    company: bool = False  # the company currency's precision read with the rows (its column)
    # columns the resolvers read from elsewhere (core.schemas.selects), with the functions
    # that make their expressions: read in the same query, set on each row by their alias
    selected: tuple[tuple[str, Callable[[], Any]], ...] = ()


@dataclass(frozen=True, eq=False)
class ListRows:
    """The list rows of one document type: its ``out`` schema less its ``children``."""

    out: type[Schema]
    children: tuple[str, ...]
    label: str  # "Opportunity": names the row schema ("OpportunityRow")

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The list fields, in ``out``'s order: everything but the child tables."""
        return tuple(n for n in self.out.model_fields if n not in self.children)

    @cached_property
    def row(self) -> type[Schema]:
        """The row as the OpenAPI document describes it: every field of ``out``, ``name``
        always there, the others when chosen (``fields``), child tables with ``expand``."""
        definitions: dict[str, Any] = {}
        for name, info in self.out.model_fields.items():
            if name == "name":
                definitions[name] = (info.annotation, Field(...))
                continue
            note = (
                f"Only with expand={name}."
                if name in self.children
                else "Unless left out by fields."
            )
            optional = info.annotation | None  # type: ignore[operator]
            definitions[name] = (optional, Field(None, description=note))
        row: type[Schema] = create_model(
            f"{self.label}Row", __base__=Schema, __module__=self.out.__module__, **definitions
        )
        return row

    def choose(self, fields: str | None, expand: str | None) -> frozenset[str]:
        """The fields a request asks for (400 naming ``fields``/``expand`` for unknown ones)."""
        chosen = _names(fields)
        unknown = [n for n in chosen if n not in self.columns]
        if unknown:
            children = [n for n in unknown if n in self.children]
            message = (
                f"Unknown field: {', '.join(unknown)}. Choose among: {', '.join(self.columns)}."
            )
            if children:
                message = f"{', '.join(children)}: child tables come with expand=, not fields=."
            raise BadListQuery(message, fields={"fields": [message]})
        expanded = _names(expand)
        unknown = [n for n in expanded if n not in self.children]
        if unknown:
            known = ", ".join(self.children) or "none"
            message = f"Cannot expand {', '.join(unknown)}. Child tables: {known}."
            raise BadListQuery(message, fields={"expand": [message]})
        return frozenset({"name", *(chosen or self.columns), *expanded})

    def plan(self, model: type[Model], names: frozenset[str], ordering: str) -> Plan:
        """What to read for ``names`` ordered by ``ordering`` (a field; blank: modified)."""
        ordering = ordering or "modified"
        if _concrete(model, ordering) is None:  # a bad ordering: paginate answers it
            ordering = model._meta.pk.name
        return _plan(self, model, names, ordering)

    def answer(
        self,
        page: dict[str, Any],
        names: frozenset[str],
        plan: Plan,
        request: HttpRequest,
        decorate: Any = None,
    ) -> HttpResponse:
        """The lean path's answer: ``page["results"]`` are ``.values()`` rows of ``plan``
        (``linked``: with their links); ``decorate(rows, names)`` fills what
        resolvers read from elsewhere, then the page is validated at once and rendered."""
        if page["results"]:
            remember_company_precision(request, page["results"][0])
        rows = _rows(page["results"], plan)
        if decorate is not None:
            decorate(rows, names)
        answered = tuple(n for n in self.out.model_fields if n in names)
        getters = _getters(self.out, answered)
        context = {"request": request}
        data = []
        for row in rows:
            data.append(
                {name: get(row, context) for name, get in zip(answered, getters, strict=True)}
            )
        adapter = _plain(self.out, answered)
        body = {
            "results": adapter.dump_python(adapter.validate_python(data)),
            "next_cursor": page["next_cursor"],
            "count": page["count"],
        }
        content = RENDERER.render(request, body, response_status=200)
        content_type = f"{RENDERER.media_type}; charset={RENDERER.charset}"
        return HttpResponse(content, content_type=content_type)

    def serialize(self, rows: Sequence[Model], names: frozenset[str], context: Any) -> list[Any]:
        """Each row as the row schema with only ``names`` set (the others left out)."""
        selection = _selection(self.out, names)
        row = self.row
        answered = [n for n in self.out.model_fields if n in names]
        out = []
        for obj in rows:
            chosen = selection.model_validate(obj, context=context)
            out.append(row.model_construct(**{n: getattr(chosen, n) for n in answered}))
        return out


@lru_cache(maxsize=512)
def _selection(out: type[Schema], names: frozenset[str]) -> type[Schema]:
    """``out`` narrowed to ``names``: their fields and resolvers, nothing else read."""
    definitions: dict[str, Any] = {}
    for name, info in out.model_fields.items():
        if name in names:
            definitions[name] = (info.annotation, FieldInfo.merge_field_infos(info))
    narrowed: type[Schema] = create_model(
        f"{out.__name__}Selection", __base__=Schema, **definitions
    )
    resolvers = out._ninja_resolvers
    narrowed._ninja_resolvers = {k: v for k, v in resolvers.items() if k in names}
    return narrowed


class _Row:
    """A list row on the lean path: the columns read as attributes (``opportunity_type_id``),
    ``pk``, the links as small objects of the same kind (``owner.username``) or None."""

    pk: Any

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _rows(values: list[dict[str, Any]], plan: Plan) -> list[_Row]:
    """The page's rows, each link a small object of what was read there (None: no link)."""
    rows = []
    pk = plan.values[0]
    for value in values:
        row = _Row(value)
        row.pk = value[pk]
        row.__dict__.pop(COMPANY_PRECISION, None)
        for link in plan.links:
            read = {f: row.__dict__.pop(link.alias(f)) for f in link.reads}
            row.__dict__[link.field] = None if value[link.attname] is None else _Row(read)
        rows.append(row)
    return rows


def linked(queryset: QuerySet[Any], plan: Plan) -> QuerySet[Any]:
    """``queryset`` with what the plan's links read, as correlated subqueries on the linked
    tables' keys (``SELECT username FROM auth_user WHERE id = owner_id``): one query, no join
    for the planner to order."""
    subqueries: dict[str, Any] = {}
    for link in plan.links:
        rows = link.model._base_manager.filter(**{link.target: OuterRef(link.attname)})
        for read in link.reads:
            subqueries[link.alias(read)] = Subquery(rows.order_by().values(read)[:1])
    if plan.company:  # the company currency's precision: no settings query for the request
        subqueries[COMPANY_PRECISION] = company_precision_expression()
    for alias, expression in plan.selected:
        subqueries[alias] = expression()
    return queryset.annotate(**subqueries) if subqueries else queryset


Getter = Callable[[_Row, Any], Any]


def _attribute(name: str) -> Getter:
    def get(row: _Row, context: Any) -> Any:
        return getattr(row, name)

    return get


def _resolved(func: Callable[..., Any], takes_context: bool) -> Getter:
    def get(row: _Row, context: Any) -> Any:
        return func(row, context=context) if takes_context else func(row)

    return get


@lru_cache(maxsize=512)
def _getters(out: type[Schema], answered: tuple[str, ...]) -> tuple[Any, ...]:
    """How the lean path reads each answered field of a row: the schema's resolver (with the
    context when it takes one), or the attribute the field reads (its alias: ``currency_id``)."""
    resolvers = out._ninja_resolvers
    getters: list[Getter] = []
    for name in answered:
        resolver = resolvers.get(name)
        if resolver is None:
            getters.append(_attribute(out.model_fields[name].alias or name))
        else:
            getters.append(_resolved(resolver._func, resolver._takes_context))
    return tuple(getters)


@lru_cache(maxsize=512)
def _plain(out: type[Schema], answered: tuple[str, ...]) -> TypeAdapter[Any]:
    """A page of rows as plain dicts of ``answered`` (by name, no alias, no resolver): pydantic
    validates and dumps them as ``out``'s fields would be (the same types, the same coercion)."""
    definitions: dict[str, Any] = {}
    for name in answered:
        info = out.model_fields[name]
        definitions[name] = (info.annotation, Field(...))
    row: type[BaseModel] = create_model(f"{out.__name__}Plain", **definitions)
    return TypeAdapter(list[row])


def _link(model: type[Model], path: str) -> tuple[str, str] | None:
    """``owner__username`` -> (``owner``, ``username``) when ``owner`` is a foreign key and
    ``username`` a plain column of the model it points to; else None (the lean path is off)."""
    head, _, tail = path.partition("__")
    field = _concrete(model, head)
    if not isinstance(field, ForeignKey) or "__" in tail or not tail:
        return None
    target = field.related_model
    assert isinstance(target, type)
    read = _concrete(target, tail)
    if read is None or read.is_relation:
        return None
    return head, tail


@lru_cache(maxsize=512)
def _plan(rows: ListRows, model: type[Model], names: frozenset[str], ordering: str) -> Plan:
    out = rows.out
    resolvers = out._ninja_resolvers
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    prefetch = tuple(n for n in rows.children if n in names)
    paths: list[str] = [model._meta.pk.name, ordering]
    whole_row = False
    for name in names:
        resolver = resolvers.get(name)
        if resolver is not None:
            read: Iterable[str] | None = getattr(resolver._func, "reads", None)
            if read is None and name not in rows.children:
                whole_row = True
            paths += read or ()
            continue
        info = out.model_fields[name]
        column = by_attname.get(info.alias or name)
        if column is None:
            field = _concrete(model, info.alias or name)
            if field is None:  # a property: what it reads is unknown
                whole_row = True
                continue
            column = field
        paths.append(column.name)
    joins = tuple(dict.fromkeys(p.rsplit("__", 1)[0] for p in paths if "__" in p))
    if whole_row:
        return Plan(only=None, joins=joins, prefetch=prefetch)
    only = tuple(dict.fromkeys(paths))
    # the lean path: own columns by their attribute names, one-step links as subqueries
    order_of = {f.name: i for i, f in enumerate(model._meta.concrete_fields)}
    values: dict[str, None] = {}
    reads: dict[str, list[str]] = {}
    lean = not prefetch
    for path in only:
        if "__" not in path:
            field = _concrete(model, path)
            assert field is not None  # a column of ``model`` (checked above)
            values[field.attname] = None
            continue
        link = _link(model, path)
        if link is None:
            lean = False
            break
        reads.setdefault(link[0], []).append(link[1])
    links = []
    for name, read in sorted(reads.items(), key=lambda r: order_of[r[0]]):
        fk = model._meta.get_field(name)
        assert isinstance(fk, ForeignKey) and isinstance(fk.related_model, type)
        values[fk.attname] = None
        target = fk.target_field.attname
        read_there = tuple(dict.fromkeys(read))
        links.append(Link(name, fk.attname, fk.related_model, target, read_there))
    # the primary key first (the rows' ``pk``), then the columns in the model's order
    order = {f.attname: i for i, f in enumerate(model._meta.concrete_fields)}
    pk = model._meta.pk.attname
    columns = (pk, *sorted((c for c in values if c != pk), key=order.__getitem__))
    columns += tuple(link.alias(read) for link in links for read in link.reads)
    # a money column in the company currency: its precision read in the same query
    company = lean and company_precision_expression() is not None
    company = company and any(
        getattr(getattr(resolvers.get(name), "_func", None), "company", False) for name in names
    )
    columns += (COMPANY_PRECISION,) if company else ()
    # read with the rows only when the order comes from an index: under a sort, PostgreSQL
    # may evaluate a subquery it deems cheap (on an empty table) for every row it sorts
    selected = _selected(resolvers, names) if lean and _indexed(model, ordering) else ()
    columns += tuple(alias for alias, _expression in selected)
    return Plan(
        only=only,
        joins=joins,
        prefetch=prefetch,
        values=columns if lean else (),
        links=tuple(links) if lean else (),
        lean=lean,
        company=company,
        selected=selected,
    )


def _indexed(model: type[Model], ordering: str) -> bool:
    """Whether an index of ``model`` starts with the column ``ordering`` (its key, a unique or
    indexed column, or the first of a declared index)."""
    field = _concrete(model, ordering)
    if field is None:
        return False
    if field.primary_key or field.unique or getattr(field, "db_index", False):
        return True
    return any(
        index.fields and index.fields[0].lstrip("-") == ordering for index in model._meta.indexes
    )


def _selected(
    resolvers: dict[str, Any], names: frozenset[str]
) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """The columns the chosen fields' resolvers read from elsewhere (``selects``), each once,
    leaving out those with nothing to read (their expression is None)."""
    found: dict[str, Callable[[], Any]] = {}
    for name in sorted(names):
        columns = getattr(getattr(resolvers.get(name), "_func", None), "selects", {})
        for alias, expression in columns.items():
            if expression() is not None:
                found.setdefault(alias, expression)
    return tuple(found.items())


def _concrete(model: type[Model], name: str) -> ModelField[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, ModelField) and field.concrete else None


def lean(queryset: QuerySet[Any], plan: Plan) -> QuerySet[Any]:
    """``queryset`` reading only the columns and joins ``plan`` needs (its child tables are
    fetched for the page's rows once it is cut: ``expand``)."""
    queryset = queryset.select_related(*plan.joins) if plan.joins else queryset
    return queryset.only(*plan.only) if plan.only is not None else queryset


def expand(rows: list[Model], plan: Plan) -> None:
    """Fetches the child tables of the page's rows (one query each), not of the row after."""
    if plan.prefetch:
        prefetch_related_objects(rows, *plan.prefetch)
