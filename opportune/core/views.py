"""The home dashboard: sections contributed by the apps above core (registered at start-up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from opportune.core.health import run_checks

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


@dataclass(frozen=True)
class HomeSection:
    """One block of the home page: a template and the function that fills its context."""

    key: str
    template: str
    context: Callable[[SignedInRequest], dict[str, Any] | None]  # None hides the section
    order: int = 100


_sections: dict[str, HomeSection] = {}


def register_home_section(section: HomeSection) -> None:
    _sections[section.key] = section


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    blocks = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        context = section.context(request)
        if context is not None:
            blocks.append({"key": section.key, "template": section.template, "context": context})
    return render(request, "core/home.html", {"sections": blocks})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors (no login): 200 when all is well, else 503 naming what
    is down."""
    ok, report = run_checks()
    return JsonResponse(report, status=200 if ok else 503)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a body too large to read (Django's ``RequestDataTooBig``, raised where the
    form is first read, often by the CSRF check) is a 413 page that says so; any other bad
    request stays Django's 400. Under /api/ the middleware makes either one JSON."""
    if isinstance(exception, RequestDataTooBig):
        context = {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        return render(request, "core/413.html", context, status=413)
    return defaults.bad_request(request, exception)
