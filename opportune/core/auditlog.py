"""The audit log: every recorded change of every audited model (documents, masters, settings),
newest first, read from their django-simple-history tables (``core.models.AuditedHistory``).

Nothing here writes: history records are written by the saves themselves, and no route, admin
or service changes or removes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import CharField, Model, Q, QuerySet, Value
from django.db.models.functions import Cast

from opportune.core.api import _decode, _encode
from opportune.core.errors import ValidationError
from opportune.core.models import AuditedHistory, Document, doctype_of
from opportune.core.timeline import RESTORED, TimelineEntry, _plain, _usernames_for_ids

DOCUMENT, MASTER, SETTINGS = "document", "master", "settings"
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class Audited:
    doctype: str  # "Opportunity", "Sales Stage", "CRM Settings"
    model: type[Model]
    kind: str  # document, master or settings


@cache
def audited_models() -> dict[str, Audited]:
    """Every model whose history is audited, by doctype (sorted by doctype)."""
    found = []
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager is None:
            continue
        history = getattr(model, manager).model
        if not issubclass(history, AuditedHistory):
            continue
        if issubclass(model, Document):
            kind = DOCUMENT
        elif getattr(model, "audit_kind", "") == SETTINGS:
            kind = SETTINGS
        else:
            kind = MASTER
        found.append(Audited(doctype_of(model), model, kind))
    return {a.doctype: a for a in sorted(found, key=lambda a: a.doctype)}


@dataclass
class AuditEntry:
    id: str  # "<doctype>:<history id>"
    doctype: str
    name: str
    action: str  # created, changed, deleted, restored
    at: datetime
    user: str | None
    door: str
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AuditQuery:
    doctype: str | None = None
    name: str | None = None
    user: str | None = None
    door: str | None = None
    kinds: tuple[str, ...] = (DOCUMENT, MASTER, SETTINGS)


def _history(model: type[Model]) -> Any:  # the historical model (simple-history builds it)
    manager = model._meta.simple_history_manager_attribute  # type: ignore[attr-defined]
    return getattr(model, manager).model


def _keys(audited: Audited, query: AuditQuery) -> QuerySet[Any]:
    """The (date, doctype, history id) of the records of one doctype matching ``query``."""
    pk = audited.model._meta.pk
    assert pk is not None
    rows: QuerySet[Any] = _history(audited.model)._default_manager.order_by()
    if query.name:
        rows = rows.annotate(ref=Cast(pk.attname, CharField())).filter(ref=query.name)
    if query.user:
        rows = rows.filter(history_user__username=query.user)
    if query.door:
        rows = rows.filter(history_door=query.door)
    keys: QuerySet[Any] = rows.annotate(doctype=Value(audited.doctype, CharField())).values_list(
        "history_date", "history_id", "doctype"
    )
    return keys


def _after(rows: QuerySet[Any], doctype: str, cursor: tuple[datetime, str, int]) -> QuerySet[Any]:
    """The rows after the cursor in the order (date, doctype, history id), all descending."""
    at, last_doctype, last_id = cursor
    later = Q(history_date__lt=at)
    if doctype < last_doctype:
        later |= Q(history_date=at)
    elif doctype == last_doctype:
        later |= Q(history_date=at, history_id__lt=last_id)
    return rows.filter(later)


def read_cursor(cursor: str) -> tuple[datetime, str, int]:
    at, key = _decode(cursor)
    doctype, _, history_id = str(key).rpartition(":")
    if not isinstance(at, datetime) or not doctype or not history_id.isdigit():
        raise ValidationError.for_field("cursor", "This cursor is not valid.")
    return at, doctype, int(history_id)


def audit_log(query: AuditQuery, *, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """One page of the audit log, newest first, and the cursor of the next page: one query
    for the page's keys (a UNION over the history tables), then per doctype on the page one
    for its records and one for the records before them (the old values)."""
    chosen = [a for a in audited_models().values() if a.kind in query.kinds]
    if query.doctype:
        chosen = [a for a in chosen if a.doctype == query.doctype]
        if not chosen:
            known = ", ".join(a.doctype for a in audited_models().values() if a.kind in query.kinds)
            raise ValidationError.for_field("doctype", f"Not an audited doctype; one of: {known}.")
    after = read_cursor(cursor) if cursor else None
    parts = []
    for audited in chosen:
        rows = _keys(audited, query)
        parts.append(_after(rows, audited.doctype, after) if after else rows)
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    keys = list(combined.order_by("-history_date", "-doctype", "-history_id")[: limit + 1])
    next_cursor = None
    if len(keys) > limit:
        keys = keys[:limit]
        at, history_id, doctype = keys[-1]
        next_cursor = _encode([at, f"{doctype}:{history_id}"])
    entries = _entries(keys)
    return {"results": entries, "next_cursor": next_cursor, "count": None}


def _entries(keys: list[tuple[datetime, int, str]]) -> list[AuditEntry]:
    by_doctype: dict[str, list[int]] = {}
    for _at, history_id, doctype in keys:
        by_doctype.setdefault(doctype, []).append(history_id)
    found: dict[tuple[str, int], AuditEntry] = {}
    user_model = get_user_model()
    for doctype, ids in by_doctype.items():
        audited = audited_models()[doctype]
        entries = _records(audited, ids)
        user_fields = {
            f.name
            for f in audited.model._meta.fields
            if f.is_relation and f.related_model is user_model
        }
        _usernames_for_ids(
            [TimelineEntry("change", e.at, e.user, "", {"changes": e.changes}) for e in entries],
            user_fields,
            user_model,
        )
        for entry in entries:
            found[(doctype, int(entry.id.rpartition(":")[2]))] = entry
    return [found[(doctype, history_id)] for _at, history_id, doctype in keys]


def _records(audited: Audited, ids: list[int]) -> list[AuditEntry]:
    history = _history(audited.model)
    pk = audited.model._meta.pk
    assert pk is not None
    records: list[Any] = list(
        history._default_manager.filter(history_id__in=ids).select_related("history_user")
    )
    if not records:
        return []
    names = {getattr(r, pk.attname) for r in records}
    latest = max(r.history_date for r in records)
    earlier: dict[Any, list[Any]] = {}
    for e in history._default_manager.filter(
        **{f"{pk.attname}__in": names, "history_date__lte": latest}
    ).order_by("history_date", "history_id"):
        earlier.setdefault(getattr(e, pk.attname), []).append(e)
    entries = []
    for r in records:
        chain = earlier.get(getattr(r, pk.attname), [])
        position = next(i for i, c in enumerate(chain) if c.history_id == r.history_id)
        previous = chain[position - 1] if position else None
        action = ACTIONS.get(r.history_type, str(r.history_type))
        if r.history_type == "+" and r.history_change_reason == RESTORED:
            action = "restored"
        changes: list[dict[str, Any]] = []
        if r.history_type == "~" and previous is not None:
            changes = [
                {"field": c.field, "old": _plain(c.old), "new": _plain(c.new)}
                for c in r.diff_against(previous).changes
            ]
        changes.extend(r.history_rows or [])
        entries.append(
            AuditEntry(
                id=f"{audited.doctype}:{r.history_id}",
                doctype=audited.doctype,
                name=str(getattr(r, pk.attname)),
                action=action,
                at=r.history_date,
                user=r.history_user.username if r.history_user else None,
                door=r.history_door,
                changes=changes,
            )
        )
    return entries
