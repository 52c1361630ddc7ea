"""Saved views on the pages (issue 14, decision 0027): the bar above every list and the board (the
user's views and the team's as tabs, the everyday quick filters as chips, "All", and a form to
save the current URL query as a view), the bare list URL opened on the user's default view, and
the POST endpoints that save, change and delete a view through core.saved_views.

Each list is registered by the app that owns it (``register_list``: its URL name and its quick
filters), so core redirects back to it without knowing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opportune.core import saved_views
from opportune.core.errors import (
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from opportune.core.models import SavedView
from opportune.core.statements import fetch

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

ALL = "view=all"  # the unfiltered list, the default view not applied
NOT_STATE = (*saved_views.DROPPED, "view")


@dataclass(frozen=True)
class QuickFilter:
    """An everyday filter shown as a chip: its label and the URL query it stands for."""

    label: str
    query: str


QuickFilters = Callable[[Any], Sequence[QuickFilter]]


@dataclass(frozen=True)
class SavedList:
    resource: str
    url_name: str
    quick_filters: QuickFilters


_lists: dict[str, SavedList] = {}


def _none(user: Any) -> Sequence[QuickFilter]:
    return ()


def register_list(resource: str, *, url_name: str, quick_filters: QuickFilters = _none) -> None:
    """A list (or the board) that keeps saved views: its page's URL name and its quick filters
    for a user (registered by the app that owns the list)."""
    if resource not in saved_views.RESOURCES:
        raise ValueError(f"{resource!r} is not one of core.saved_views.RESOURCES")
    _lists[resource] = SavedList(resource, url_name, quick_filters)


def _list(resource: str) -> SavedList:
    try:
        return _lists[resource]
    except KeyError:
        raise Http404(f"No list {resource}.") from None


def state(query: QueryDict | str) -> str:
    """A URL query's state (without cursor, format, page and ``view``), as saved."""
    text = query.urlencode() if isinstance(query, QueryDict) else query
    return saved_views.clean_query("&".join(p for p in text.split("&") if not _is_view(p)))


def _is_view(pair: str) -> bool:
    return pair.partition("=")[0] == "view"


def _key(query: str) -> frozenset[tuple[str, str]]:
    """What a query asks for, whatever the order of its parameters and however it is encoded."""
    parsed = QueryDict(query)
    return frozenset(
        (k, v) for k in parsed if k not in NOT_STATE for v in parsed.getlist(k) if v.strip()
    )


def _href(path: str, query: str) -> str:
    """A view's link: its query as the browser would send it (a ``#`` or a space in a query
    saved through the API kept in it, not cutting the link)."""
    return f"{path}?{QueryDict(query).urlencode() or ALL}"


def list_url(resource: str, query: str = "") -> str:
    """The list's URL with ``query`` (the unfiltered list, never the default, when empty)."""
    return f"{reverse(_list(resource).url_name)}?{query or ALL}"


def _views_of(request: HttpRequest, resource: str) -> list[SavedView]:
    """The views of ``resource`` the user sees (own and shared), read once per request: the
    default's redirect and the bar share the query."""
    cache: dict[str, list[SavedView]] = request.__dict__.setdefault("_saved_views", {})
    if resource not in cache:
        cache[resource] = fetch(  # every list page's bar: a kept statement (core/statements.py)
            "saved_views.visible",
            lambda v: saved_views.visible_to_id(v.user, v.resource),
            user=request.user.pk,
            resource=resource,
        )
    return cache[resource]


def default_view_redirect(request: HttpRequest, resource: str) -> HttpResponse | None:
    """The bare list URL opens the user's default view of it; a URL with any query (an
    explicit filter, or ``view=all``) is never overridden."""
    if request.method != "GET" or request.META.get("QUERY_STRING"):
        return None
    user_id = request.user.pk
    default = next(
        (v for v in _views_of(request, resource) if v.user_id == user_id and v.is_default), None
    )
    query = QueryDict(default.query).urlencode() if default else ""
    if not query:  # none, or a default of the whole list: nothing to open
        return None
    return redirect(f"{request.path}?{query}")


def bar_context(request: HttpRequest, resource: str) -> dict[str, Any]:
    """The bar above a list: its views (own and shared, the current one marked), its quick
    filters, "All", and the current query that "Save view" saves."""
    user = request.user
    current = state(request.GET)
    here = _key(current)
    views = _views_of(request, resource)
    quick = _list(resource).quick_filters(user) if resource in _lists else ()
    path = request.path
    return {
        "resource": resource,
        "current_query": current,
        "all_href": f"{path}?{ALL}",
        "is_all": not here,
        "quick_filters": [
            {"label": f.label, "href": _href(path, f.query), "current": _key(f.query) == here}
            for f in quick
        ],
        "views": [
            {
                "view": v,
                "href": _href(path, v.query),
                "current": _key(v.query) == here,
                "mine": v.user_id == user.pk,
            }
            for v in views
        ],
        "own_views": [v for v in views if v.user_id == user.pk],
        "can_share": saved_views.can_share(user),
    }


# --- the endpoints (POST forms; htmx posts them too) ---------------------------------------------
def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """To ``url``: a redirect, or for htmx an ``HX-Redirect`` (the whole page loads)."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name, "") in ("1", "on", "true")


@login_required
@require_POST
def saved_view_create(request: SignedInRequest) -> HttpResponse:
    """Save the posted query as a view of the posted list, then open it."""
    resource = request.POST.get("resource", "")
    query = state(request.POST.get("query", ""))
    fits = len(query) <= saved_views.MAX_QUERY and "\x00" not in query
    back = list_url(resource, query if fits else "") if resource in _lists else reverse("home")
    data = {
        "label": request.POST.get("label", ""),
        "resource": resource,
        "query": query,
        "shared": _flag(request, "shared"),
        "is_default": _flag(request, "is_default"),
    }
    try:
        view = saved_views.create_view(data=data, by=request.user)
    except DomainError as exc:
        return _refused(request, exc, back, data)
    messages.success(request, f"View “{view.label}” saved.")
    return _go(request, list_url(resource, view.query))


def _refused(
    request: HttpRequest, exc: DomainError, back: str, data: dict[str, Any]
) -> HttpResponse:
    """htmx: the save form again, its errors named by field; otherwise back to the list with
    the message."""
    if _is_htmx(request):
        context = {
            "resource": data["resource"],
            "current_query": data["query"],
            "can_share": saved_views.can_share(request.user),
            "form": data,
            "form_errors": {k: v[0] for k, v in exc.fields.items()},
            "form_message": exc.message,
        }
        return render(request, "core/_saved_view_form.html", context, status=200)
    messages.error(request, exc.message)
    return redirect(back)


def _owned_change(
    request: SignedInRequest, id: int, change: Callable[[SavedView], str]
) -> HttpResponse:
    """``change`` applied to one's own view (a view one may not see: 404; another's: 403), then
    back to its list as it was (the posted ``back`` query)."""
    try:
        view = saved_views.get_for(request.user, id)
        back = list_url(view.resource, state(request.POST.get("back", "")))
        messages.success(request, change(view))
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except ValidationError as exc:
        messages.error(request, exc.message)
    return _go(request, back)


@login_required
@require_POST
def saved_view_change(request: SignedInRequest, id: int) -> HttpResponse:
    """Rename one's own view, make it one's default (or not), share it (managers)."""
    data: dict[str, Any] = {}
    if "label" in request.POST:
        data["label"] = request.POST["label"]
    for flag in ("is_default", "shared"):
        if flag in request.POST:
            data[flag] = _flag(request, flag)

    def change(view: SavedView) -> str:
        saved_views.update_view(view, data=data, by=request.user)
        return f"View “{view.label}” saved."

    return _owned_change(request, id, change)


@login_required
@require_POST
def saved_view_delete(request: SignedInRequest, id: int) -> HttpResponse:
    def delete(view: SavedView) -> str:
        saved_views.delete_view(view, by=request.user)
        return f"View “{view.label}” deleted."

    return _owned_change(request, id, delete)
