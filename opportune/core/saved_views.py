"""Saved views (issue 14): a list's or the board's URL query saved under a label, the owner's
own or shared with the team by a manager, at most one default per user and list (decision 0027).

Who is a manager is a higher app's rule (accounts' roles): it registers it here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, get_args

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict

from opportune.core.errors import FieldErrors, NotFoundError, PermissionDeniedError
from opportune.core.models import SavedView

if TYPE_CHECKING:
    from opportune.core.users import AnyUser, User

# the lists a view may stand for (the API's schema offers the same names)
Resource = Literal[
    "opportunities",
    "opportunity-board",
    "leads",
    "customers",
    "suppliers",
    "quotations",
    "sales-orders",
    "supplier-quotations",
    "requests-for-quotation",
]
RESOURCES: tuple[str, ...] = get_args(Resource)
MAX_QUERY = 2000
MAX_LABEL = 140
DROPPED = ("cursor", "format", "page")


def _nobody(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False))


_sharer_rule: Callable[[Any], bool] = _nobody


def register_sharer_rule(rule: Callable[[Any], bool]) -> None:
    """Who may share a view with the team (accounts registers its managers)."""
    global _sharer_rule
    _sharer_rule = rule


def can_share(user: AnyUser) -> bool:
    return _sharer_rule(user)


def clean_query(query: str) -> str:
    """The URL query, without a leading ``?`` and without what is not state (cursor, format):
    the other parameters kept as they were written (a bookmark's text), in their order."""
    kept = []
    for pair in query.strip().lstrip("?").split("&"):
        if not pair:
            continue
        key = next(iter(QueryDict(pair).keys()), "")
        if key not in DROPPED:
            kept.append(pair)
    return "&".join(kept)


def visible(user: AnyUser, resource: str | None = None) -> QuerySet[SavedView]:
    """The user's own views and the shared ones (their own first, then by label)."""
    return visible_to_id(user.pk, resource)


def visible_to_id(user_id: Any, resource: str | None = None) -> QuerySet[SavedView]:
    """``visible`` by the user's id (a kept statement's placeholder: saved_views_pages)."""
    views = SavedView.objects.filter(Q(user_id=user_id) | Q(shared=True))
    if resource is not None:
        views = views.filter(resource=resource)
    return views.select_related("user").order_by("label", "id")


def get_for(user: AnyUser, name: str | int) -> SavedView:
    """A view the user may see (own or shared); anything else is not found."""
    try:
        return visible(user).get(pk=int(name))
    except (ValueError, TypeError, SavedView.DoesNotExist):
        raise NotFoundError(f"Saved view {name} not found.") from None


def default_query(user: User, resource: str) -> str | None:
    """The query of the user's default view of ``resource``, or None."""
    return (
        SavedView.objects.filter(user_id=user.pk, resource=resource, is_default=True)
        .values_list("query", flat=True)
        .first()
    )


def _validated(data: dict[str, Any], *, by: User, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    clean: dict[str, Any] = {}
    if "label" in data or creating:
        label = (data.get("label") or "").strip()
        if not label:
            errors.add("label", "Give the view a label.")
        elif len(label) > MAX_LABEL:
            errors.add("label", f"At most {MAX_LABEL} characters.")
        clean["label"] = label
    if "resource" in data or creating:
        resource = data.get("resource")
        if resource not in RESOURCES:
            errors.add("resource", f"One of: {', '.join(RESOURCES)}.")
        clean["resource"] = resource
    if "query" in data:
        raw = data.get("query") or ""
        if not isinstance(raw, str) or "\x00" in raw or len(raw) > MAX_QUERY:
            errors.add("query", f"A URL query of at most {MAX_QUERY} characters.")
        else:
            query = clean_query(raw)
            if len(query) > MAX_QUERY:
                errors.add("query", f"A URL query of at most {MAX_QUERY} characters.")
            clean["query"] = query
    elif creating:
        clean["query"] = ""
    for flag in ("shared", "is_default"):
        if flag in data:
            clean[flag] = bool(data[flag])
    errors.raise_if_any()
    return clean


def _check_share(clean: dict[str, Any], by: User, was_shared: bool = False) -> None:
    if clean.get("shared") and not was_shared and not can_share(by):
        raise PermissionDeniedError(
            "Only managers may share a view with the team.",
            fields={"shared": ["Only managers may share a view with the team."]},
        )


def _unset_other_defaults(view: SavedView) -> None:
    if view.is_default:
        SavedView.objects.filter(
            user_id=view.user_id, resource=view.resource, is_default=True
        ).exclude(pk=view.pk).update(is_default=False)


def create_view(*, data: dict[str, Any], by: User) -> SavedView:
    clean = _validated(data, by=by, creating=True)
    _check_share(clean, by)
    with transaction.atomic():
        if clean.get("is_default"):
            SavedView.objects.filter(
                user_id=by.pk, resource=clean["resource"], is_default=True
            ).update(is_default=False)
        return SavedView.objects.create(user=by, **clean)


def _require_owner(view: SavedView, by: User) -> None:
    if view.user_id != by.pk:
        raise PermissionDeniedError("Only its owner may change or delete a saved view.")


def update_view(view: SavedView, *, data: dict[str, Any], by: User) -> SavedView:
    _require_owner(view, by)
    clean = _validated(data, by=by, creating=False)
    _check_share(clean, by, was_shared=view.shared)
    with transaction.atomic():
        for field, value in clean.items():
            setattr(view, field, value)
        _unset_other_defaults(view)
        view.save()
    return view


def delete_view(view: SavedView, *, by: User) -> None:
    _require_owner(view, by)
    view.delete()
