"""GET one, lean (issue 12): a document read as the lean list reads a row
(core/api_lists.py), then its child tables.

- the document: ONE join-free query on its own table (``.values()``: no model instance), the
  users' names and the currency's precision as correlated subqueries on their keys, the
  permission (what the user sees) in the same query;
- its rows (``items``): one query, model instances as the prefetch gave them, in the same order;
- its many-to-many names (``lost_reasons``, ``competitors``): one query for all of them, a
  ``UNION ALL`` of their link tables, each ordered by the linked key (those masters are ordered
  by their key: the same order as ``.all()``).

The answer is the row the schema's resolvers read, validated by ninja as before: byte for byte
the answer of the joined read. A document whose fields or children do not fit (a resolver that
reads the whole row, a many-to-many ordered otherwise) is read as before (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import F, IntegerField, Model, QuerySet, Value

from opportune.core.api_lists import ListRows, _Row, _rows, linked
from opportune.core.errors import NotFoundError
from opportune.core.schemas import remember_company_precision
from opportune.core.statements import Placeholders, fetch, unfiltered


class _Children:
    """What a resolver reads as ``document.<child>.all()``: the rows already read."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return self._rows


@dataclass(frozen=True)
class _Linked:
    """A name read from a many-to-many link table (``.pk`` as the masters answer it)."""

    pk: Any


def _m2m_in_key_order(model: type[Model], name: str) -> bool:
    """Whether ``.all()`` of the many-to-many ``name`` is ordered by the linked key only."""
    target: Any = model._meta.get_field(name).related_model
    pk = target._meta.pk
    return list(target._meta.ordering) in ([pk.name], [pk.attname])


@lru_cache(maxsize=64)
def _plan_children(
    model: type[Model], children: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The child tables by kind (reverse foreign keys, many-to-many), or None: not all fit."""
    rows, m2m = [], []
    for name in children:
        field = model._meta.get_field(name)
        if field.one_to_many and not field.concrete:
            rows.append(name)
        elif field.many_to_many and field.concrete and _m2m_in_key_order(model, name):
            m2m.append(name)
        else:
            return None
    return tuple(rows), tuple(m2m)


def _linked_names(model: type[Model], names: tuple[str, ...], pk: Any) -> dict[str, list[Any]]:
    """The linked keys of each many-to-many of ``names``, in one query for all of them."""
    found: dict[str, list[Any]] = {name: [] for name in names}
    if not names:
        return found

    def build(v: Placeholders) -> QuerySet[Any]:
        parts: list[QuerySet[Any]] = []
        for kind, name in enumerate(names):
            field: Any = model._meta.get_field(name)
            through = field.remote_field.through
            source = field.m2m_field_name()
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            part = through._base_manager.filter(**{source: v.pk}).order_by()
            part = part.annotate(kind=Value(kind, output_field=IntegerField()), ref=F(target))
            parts.append(part.values_list("kind", "ref"))
        query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        return query.order_by("kind", "ref")

    for kind, ref in fetch(("api_read.linked", model, names), build, pk=pk):
        found[names[kind]].append(_Linked(ref))
    return found


def read_one(
    rows: QuerySet[Any], list_rows: ListRows, doctype: str, name: Any, request: Any = None
) -> _Row | None:
    """The document ``name`` among ``rows`` (what the user sees; 404 otherwise), as the lean
    read answers it; None when the document does not fit the lean read (read it as before)."""
    model = rows.model
    kinds = _plan_children(model, list_rows.children)  # type: ignore[arg-type]  # a class is hashable
    plan = list_rows.plan(model, list_rows.choose(None, None), "")
    if kinds is None or not plan.lean:
        return None
    found = []
    if not (isinstance(name, str) and "\x00" in name):

        def build(v: Placeholders) -> QuerySet[Any]:
            return linked(rows.filter(pk=v.name).order_by(), plan).values(*plan.values)[:1]

        if unfiltered(rows):  # every row: the same statement for everyone (core/statements.py)
            found = fetch(("api_read.one", model, plan), build, name=name)
        else:  # a record rule (the user's own rows): its SQL names the user
            found = list(build(Placeholders({"name": name})))
    if not found:
        raise NotFoundError(f"{doctype} {name} not found.")
    remember_company_precision(request, found[0])
    document = _rows(found, plan)[0]
    children, m2m = kinds
    for child in children:
        related: Any = model._meta.get_field(child)
        manager: Any = related.related_model._default_manager
        key: str = related.field.name

        def lines_of(v: Placeholders, manager: Any = manager, key: str = key) -> QuerySet[Any]:
            return manager.filter(**{key: v.pk})  # type: ignore[no-any-return]

        lines = fetch(("api_read.children", model, child), lines_of, pk=document.pk)
        document.__dict__[child] = _Children(lines)
    for child, linked_rows in _linked_names(model, m2m, document.pk).items():
        document.__dict__[child] = _Children(linked_rows)
    return document
