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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field as ModelField
from django.db.models import Model, QuerySet, prefetch_related_objects
from ninja import Schema
from pydantic import Field, create_model, field_validator
from pydantic.fields import FieldInfo

from opportune.core.errors import ValidationError
from opportune.core.fields import reject_nul


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
class Plan:
    """How to read the rows of one choice of fields: the columns to load (``None``: the
    whole row), the joins and the child tables to prefetch."""

    only: tuple[str, ...] | None
    joins: tuple[str, ...]
    prefetch: tuple[str, ...]


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
    return Plan(only=tuple(dict.fromkeys(paths)), joins=joins, prefetch=prefetch)


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
