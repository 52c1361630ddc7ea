"""The one permission-checked lookup every app's ``access.py`` is built on, and the rule that a
document made from another is seen only with it. Which rows a user may see is each app's own
``<thing>_visible_to(user)``; these functions only apply it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

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
) -> M:
    """The one permission-checked lookup by name: unseen is 404 (as if it did not exist),
    seen but not writable is 403; a name no document can have (NUL) is simply not found. Masters
    addressed by a number (currency exchanges) pass it as it is. ``key`` names the queryset's
    shape when the caller knows it (its app's ``<things>_visible_to``): a user who sees every
    row is then looked up by a kept statement (core/statements.py); a record rule's SQL names
    the user, and is compiled each time."""
    obj: M | None = None
    if not (isinstance(name, str) and "\x00" in name):

        def build(v: Placeholders) -> QuerySet[M]:
            # at most one row: no ORDER BY (the model's ordering costs its compiling only)
            return queryset.filter(pk=v.name).order_by()[:1]

        if key is not None and isinstance(name, str) and unfiltered(queryset):
            found = fetch(("access.get_visible", key), build, name=name)
        else:
            found = list(build(Placeholders({"name": name})))
        obj = found[0] if found else None
    if obj is None:
        raise NotFoundError(f"{doctype} {name} not found.")
    if write and not can_write(user):
        raise PermissionDeniedError(f"You may not change {doctype} {name}.")
    return obj


def restrict_to_visible_parents(
    queryset: QuerySet[M], field: str, visible_parents: QuerySet[Any]
) -> QuerySet[M]:
    """Documents made from another (``field`` names the link, which may be empty) are visible
    only with it; when every parent is visible, no subquery is added."""
    if not visible_parents.query.has_filters():
        return queryset
    return queryset.filter(Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__in": visible_parents}))
