"""The one permission-checked lookup every app's ``access.py`` is built on, and the rule that a
document made from another is seen only with it. Which rows a user may see is each app's own
``<thing>_visible_to(user)``; these functions only apply it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction
from django.db.models import Model, Q, QuerySet

from opportune.core.errors import NotFoundError, PermissionDeniedError
from opportune.core.statements import Placeholders, fetch, unfiltered

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

M = TypeVar("M", bound=Model)


def get_visible(
    queryset: QuerySet[M],
    doctype: str,
    name: Any,
    *,
    user: AnyUser,
    write: bool,
    can_write: Callable[[AnyUser], bool],
    key: Hashable | None = None,
    lock: bool = False,
) -> M:
    """The one permission-checked lookup by name: unseen is 404 (as if it did not exist),
    seen but not writable is 403; a name no document can have (NUL) is simply not found. Masters
    addressed by a number (currency exchanges) pass it as it is. ``key`` names the queryset's
    shape when the caller knows it (its app's ``<things>_visible_to``): a user who sees every
    row is then looked up by a kept statement (core/statements.py); a record rule's SQL names
    the user, and is compiled each time. ``lock``: the row is read ``FOR UPDATE`` (its own
    table's row only, not those a record rule joins), held until the caller's transaction ends
    (a write request's change claims it without a second statement: core.documents); the
    caller is in a transaction."""
    obj: M | None = None
    if not (isinstance(name, str) and "\x00" in name):

        def build(v: Placeholders) -> QuerySet[M]:
            # at most one row: no ORDER BY (the model's ordering costs its compiling only)
            rows = queryset.filter(pk=v.name).order_by()
            return (_for_update(rows) if lock else rows)[:1]

        if key is not None and isinstance(name, str) and unfiltered(queryset):
            found = fetch(("access.get_visible", key, lock), build, name=name)
        else:
            found = list(build(Placeholders({"name": name})))
        obj = found[0] if found else None
    if obj is None:
        raise NotFoundError(f"{doctype} {name} not found.")
    if write and not can_write(user):
        raise PermissionDeniedError(f"You may not change {doctype} {name}.")
    return obj


def _for_update(rows: QuerySet[M]) -> QuerySet[M]:
    """``rows`` read ``FOR UPDATE`` of their own table (PostgreSQL's ``OF``, where a record
    rule's outer join could not be locked); SQLite has no row locks (its write transaction,
    ``BEGIN IMMEDIATE``, already holds the database's)."""
    features = transaction.get_connection(rows.db).features
    if features.has_select_for_update_of:
        return rows.select_for_update(of=("self",))
    return rows.select_for_update()


def restrict_to_visible_parents(
    queryset: QuerySet[M], field: str, visible_parents: QuerySet[Any]
) -> QuerySet[M]:
    """Documents made from another (``field`` names the link, which may be empty) are visible
    only with it; when every parent is visible, no subquery is added."""
    if not visible_parents.query.has_filters():
        return queryset
    return queryset.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__in": visible_parents}))
