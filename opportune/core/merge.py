"""Merging a document into another of the same kind (decision 0025): every record that points
at the one that goes (the loser) is made to point at the one that stays (the survivor), then the
loser is deleted (kept in the deleted documents) and both timelines say so. ERPNext does this
with a rename onto an existing name ("merge with existing").

What points at a document is found, not listed, so an app added later is covered without
touching this module:

- foreign keys to the model (``_meta`` of every installed model, many-to-many tables included);
- generic references, a pair of columns naming a doctype and a document name
  (``REFERENCE_PAIRS``: comments, emails and their links, events, assignments, notifications,
  contacts, an opportunity's or a quotation's party).

Historical records (django-simple-history) are the past and are left as they were; the search
table and the deleted documents are keyed by doctype and name and are handled by the delete.

Where a unique constraint would be broken by a move (the loser and the survivor both have an
open assignment to the same user, the same email linked to both), the loser's row is dropped or,
for models that register a handler (``register_collision``), settled by it (assignments are
cancelled). The caller runs ``move_references`` inside its transaction: any failure rolls all
of it back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from simple_history.models import HistoricalChanges
from simple_history.utils import bulk_update_with_history

from opportune.core.models import DeletedDocument, Document, SearchEntry

if TYPE_CHECKING:
    from opportune.core.users import User

# (doctype column, name column) of a generic reference to a document
REFERENCE_PAIRS: tuple[tuple[str, str], ...] = (
    ("reference_doctype", "reference_name"),
    ("reference_type", "reference_name"),
    ("link_doctype", "link_name"),
    ("opportunity_from", "party_name"),
    ("quotation_to", "party_name"),
)
SKIPPED: tuple[type[models.Model], ...] = (SearchEntry, DeletedDocument)

Collision = Callable[[QuerySet[Any]], object]
_collisions: dict[type[models.Model], Collision] = {}


def register_collision(model: type[models.Model], handler: Collision) -> None:
    """How the loser's rows of ``model`` that would break a unique constraint once moved are
    settled (default: deleted). ``handler`` gets them as a queryset."""
    _collisions[model] = handler


def _is_history(model: type[models.Model]) -> bool:
    return issubclass(model, HistoricalChanges)


def _field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def referring_models(
    target: type[models.Model],
) -> list[tuple[type[models.Model], list[models.Field[Any, Any]], list[tuple[str, str]]]]:
    """Each model that may point at a ``target`` row: its foreign keys to it and its reference
    pairs (that may name it)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if _is_history(model) or model in SKIPPED:
            continue
        fks = [
            f
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is target and (f.many_to_one or f.one_to_one)
        ]
        names = _field_names(model)
        pairs = [(t, n) for t, n in REFERENCE_PAIRS if t in names and n in names]
        if fks or pairs:
            found.append((model, fks, pairs))
    return found


def _unique_sets(model: type[models.Model]) -> list[tuple[set[str], Q | None]]:
    sets: list[tuple[set[str], Q | None]] = []
    for total in model._meta.total_unique_constraints:  # those without a condition
        sets.append((set(total.fields), None))
    conditional = [
        c
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.condition is not None and c.fields
    ]
    for unique in conditional:
        sets.append((set(unique.fields), unique.condition))
    for together in model._meta.unique_together:
        sets.append((set(together), None))
    for field in model._meta.concrete_fields:
        if field.unique and not field.primary_key:
            sets.append(({field.name}, None))
    return sets


def _settle_collisions(
    model: type[models.Model],
    moved: str,
    fixed: dict[str, Any],
    loser: Any,
    survivor: Any,
) -> int:
    """Drop (or settle) the loser's rows that the move of column ``moved`` would make clash
    with a row of the survivor's; ``fixed``: the other columns the rows are selected by."""
    settled = 0
    manager = model._default_manager
    for fields, condition in _unique_sets(model):
        if moved not in fields:
            continue
        others = fields - {moved} - set(fixed)
        theirs = manager.filter(**fixed, **{moved: survivor})
        mine = manager.filter(**fixed, **{moved: loser})
        if condition is not None:
            theirs, mine = theirs.filter(condition), mine.filter(condition)
        clashing = mine.filter(Exists(theirs.filter(**{o: OuterRef(o) for o in others})))
        if clashing.exists():
            handler = _collisions.get(model)
            settled += clashing.count()
            if handler is not None:
                handler(clashing)
            else:
                clashing.delete()
    return settled


def move_references(
    target: type[Document], loser: Document, survivor: Document, *, by: User | None
) -> Counter[str]:
    """Make everything that points at ``loser`` point at ``survivor`` (same model); the count of
    rows moved by model label. Run inside a transaction."""
    doctype = target.doctype
    counts: Counter[str] = Counter()
    for model, fks, pairs in referring_models(target):
        for fk in fks:
            _settle_collisions(model, fk.name, {}, loser.pk, survivor.pk)
        for t, n in pairs:
            _settle_collisions(model, n, {t: doctype}, loser.pk, survivor.pk)
        if issubclass(model, Document):
            moved = _move_documents(model, fks, pairs, doctype, loser.pk, survivor.pk, by=by)
        else:
            moved = _move_rows(model, fks, pairs, doctype, loser.pk, survivor.pk)
        if moved:
            counts[model._meta.label] += moved
    return counts


def _move_rows(
    model: type[models.Model],
    fks: Iterable[models.Field[Any, Any]],
    pairs: Iterable[tuple[str, str]],
    doctype: str,
    loser: Any,
    survivor: Any,
) -> int:
    manager = model._default_manager
    moved = 0
    pairs = list(pairs)
    for fk in fks:
        changes: dict[str, Any] = {fk.name: survivor}
        for t, n in pairs:  # a party named twice (its key and its pair) moves in one statement
            changes[n] = models.Case(
                models.When(Q(**{t: doctype, n: loser}), then=models.Value(survivor)),
                default=models.F(n),
            )
        moved += manager.filter(**{fk.name: loser}).update(**changes)
    for t, n in pairs:
        moved += manager.filter(**{t: doctype, n: loser}).update(**{n: survivor})
    return moved


def _move_documents(
    model: type[Document],
    fks: Iterable[models.Field[Any, Any]],
    pairs: Iterable[tuple[str, str]],
    doctype: str,
    loser: Any,
    survivor: Any,
    *,
    by: User | None,
) -> int:
    """Documents move one by one in their history (the opportunity's timeline shows its new
    lead), with their version bumped (a client holding the old one is refused) and their
    search text rewritten; in batches of one UPDATE each."""
    fks, pairs = list(fks), list(pairs)
    condition = Q()
    for fk in fks:
        condition |= Q(**{fk.name: loser})
    for t, n in pairs:
        condition |= Q(**{t: doctype, n: loser})
    rows = list(model._default_manager.select_for_update().filter(condition).order_by("pk"))
    if not rows:
        return 0
    now = timezone.now()
    changed: set[str] = {"version", "modified", "modified_by"}
    for row in rows:
        for fk in fks:
            if getattr(row, fk.attname) == loser:
                setattr(row, fk.attname, survivor)
                changed.add(fk.name)
        for t, n in pairs:
            if getattr(row, t) == doctype and getattr(row, n) == loser:
                setattr(row, n, survivor)
                changed.add(n)
        row.version += 1
        row.modified = now
        row.modified_by = by
    fields = sorted(changed)
    reason = f"{doctype} {loser} merged into {survivor}"[:100]
    if hasattr(model, "history"):
        bulk_update_with_history(
            rows, model, fields, batch_size=500, default_user=by, default_change_reason=reason
        )
    else:
        model._default_manager.bulk_update(rows, fields, batch_size=500)
    if model.search_fields and not changed.isdisjoint(model.search_fields):
        SearchEntry.objects.bulk_create(  # their search text in one statement (SearchEntry.keep)
            [
                SearchEntry(doctype=row.doctype, name=row.pk, text=SearchEntry.text_of(row))
                for row in rows
            ],
            update_conflicts=True,
            unique_fields=["doctype", "name"],
            update_fields=["text"],
            batch_size=500,
        )
    return len(rows)
