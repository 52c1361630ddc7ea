"""The home dashboard: sections contributed by the apps above core (registered at start-up);
/healthz; the answer to a request the database could not serve."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
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


# Seconds a client is asked to wait before it retries a request the database could not serve.
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database that does not answer (restarting, failing over, out of
    connections, a connection it dropped) makes a 503 that asks the client to retry, not a 500;
    under /api/v1/ it becomes the JSON error (core.middleware). Anything else is Django's 500.

    The transaction of the request was rolled back, so nothing of it was written; Django drops
    the broken connection at the end of the request and the next request opens a new one.
    """
    if isinstance(sys.exception(), OperationalError | InterfaceError):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a body too large to read (Django's ``RequestDataTooBig``, raised where the
    form is first read, often by the CSRF check) is a 413 page that says so; any other bad
    request stays Django's 400. Under /api/ the middleware makes either one JSON."""
    if isinstance(exception, RequestDataTooBig):
        context = {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        return render(request, "core/413.html", context, status=413)
    return defaults.bad_request(request, exception)
