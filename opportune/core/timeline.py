"""A document's timeline, gathered from every app that has something to say about it.

Apps register a source per doctype (``register_source("Opportunity", fn)``) in their
``AppConfig.ready``; a lower app never needs to know about the higher ones (emails,
assignments and events add their own entries this way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from opportune.core.models import Comment

if TYPE_CHECKING:
    from opportune.core.users import User


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "change", "comment", "info", "status", "email", "assignment", "event", ...
    at: datetime
    user: str | None
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    # the door of a recorded change (core.audit: page, api, job, import, command, system)
    door: str | None = None


# the change reason of the history record a restore writes (core.deleted)
RESTORED = "Restored from the deleted documents"

TimelineSource = Callable[[str, str], Iterable[TimelineEntry]]
_sources: dict[str, list[TimelineSource]] = {}


def register_source(doctype: str, source: TimelineSource) -> None:
    if source not in _sources.setdefault(doctype, []):
        _sources[doctype].append(source)


def comment_entries(doctype: str, name: str) -> Iterable[TimelineEntry]:
    rows = Comment.objects.filter(reference_doctype=doctype, reference_name=name).select_related(
        "owner"
    )
    for c in rows:
        kind = "comment" if c.comment_type == Comment.Type.COMMENT else c.comment_type.lower()
        yield TimelineEntry(
            kind=kind,
            at=c.creation,
            user=c.owner.username if c.owner else None,
            summary=c.content,
            data={"comment_id": c.pk, "comment_type": c.comment_type},
        )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def history_source(model: Any) -> TimelineSource:  # a model with simple-history's ``history``
    """A timeline source reading a model's django-simple-history records as field changes.
    Users are shown by username, as everywhere in the API (API.md), not by their ids."""
    user_model = get_user_model()
    user_fields = {
        f.name for f in model._meta.fields if f.is_relation and f.related_model is user_model
    }

    def source(doctype: str, name: str) -> Iterable[TimelineEntry]:
        records = (
            model.history.filter(**{model._meta.pk.attname: name})
            .order_by("history_date", "history_id")
            .select_related("history_user")
        )
        entries: list[TimelineEntry] = []
        previous = None
        for record in records:
            user = record.history_user.username if record.history_user else None
            door = getattr(record, "history_door", None) or None
            if record.history_type == "+":
                restored = record.history_change_reason == RESTORED
                entries.append(
                    TimelineEntry(
                        "restored" if restored else "created",
                        record.history_date,
                        user,
                        f"{doctype} {'restored' if restored else 'created'}",
                        door=door,
                    )
                )
            elif record.history_type == "-":
                entries.append(
                    TimelineEntry(
                        "deleted", record.history_date, user, f"{doctype} deleted", door=door
                    )
                )
            elif previous is not None:
                changes = [
                    {"field": c.field, "old": _plain(c.old), "new": _plain(c.new)}
                    for c in record.diff_against(previous).changes
                ]
                changes.extend(getattr(record, "history_rows", None) or [])
                if changes:
                    fields = ", ".join(dict.fromkeys(c["field"].split(".")[0] for c in changes))
                    data: dict[str, Any] = {"changes": changes}
                    # why a job changed it ("Expired: past valid till", "Closed
                    # automatically: ..."), as its history record says
                    if record.history_change_reason:
                        data["reason"] = record.history_change_reason
                    entries.append(
                        TimelineEntry(
                            "change",
                            record.history_date,
                            user,
                            f"changed {fields}",
                            data,
                            door=door,
                        )
                    )
            previous = record
        _usernames_for_ids(entries, user_fields, user_model)
        return entries

    return source


def _usernames_for_ids(
    entries: list[TimelineEntry], user_fields: set[str], user_model: type[User]
) -> None:
    """Replace user ids in the changes of user fields by usernames (one query in all)."""
    changes = [c for e in entries for c in e.data.get("changes", ()) if c["field"] in user_fields]
    ids = {v for c in changes for v in (c["old"], c["new"]) if v is not None}
    if not ids:
        return
    names = dict(user_model.objects.filter(pk__in=ids).values_list("pk", "username"))
    for c in changes:
        for key in ("old", "new"):
            if c[key] is not None:
                c[key] = names.get(c[key], c[key])


def timeline_for(doctype: str, name: str, *, limit: int = 500) -> list[TimelineEntry]:
    """Everything that happened to one document, newest first."""
    entries: list[TimelineEntry] = list(comment_entries(doctype, name))
    for source in _sources.get(doctype, []):
        entries.extend(source(doctype, name))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def add_comment(
    doctype: str,
    name: str,
    *,
    content: str,
    by: User | None,
    comment_type: str = Comment.Type.COMMENT,
) -> Comment:
    return Comment.objects.create(
        reference_doctype=doctype,
        reference_name=name,
        comment_type=comment_type,
        content=content,
        owner=by,
    )
