"""The header's search box (decision 0026): as the user types, htmx asks ``/search/?q=`` and
swaps in the fragment of results grouped by type; Enter (or a bookmark) gives the same results
as a page of their own. The same query as the API's ``search`` (core.search.global_search).
The box waits for three characters (a shorter text has no trigram: it would scan every entry
at every key); the page and the API search with one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opportune.core.errors import ValidationError
from opportune.core.search import TRIGRAM, global_search, parse_types

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

MAX_TEXT = 200
PER_TYPE_BOX = 5  # in the header's drop-down
PER_TYPE_PAGE = 20  # on the page of results


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    signed_in: SignedInRequest = request  # type: ignore[assignment]
    partial = request.headers.get("HX-Request") == "true"
    text = request.GET.get("q", "").replace("\x00", "").strip()[:MAX_TEXT]
    try:
        types = parse_types(request.GET.get("types"))
    except ValidationError:
        types = None  # an unknown type is ignored by the page: every type is searched
    groups = []
    short = partial and len(text) < TRIGRAM  # as one types: no scan of every entry per key
    if text and not short:
        limit = PER_TYPE_BOX if partial else PER_TYPE_PAGE
        groups = global_search(signed_in.user, text, types=types, limit=limit)
    template = "core/_search_results.html" if partial else "core/search.html"
    response = render(request, template, {"q": text, "groups": groups, "short": short})
    response["Vary"] = "HX-Request"
    return response
