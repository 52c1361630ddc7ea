"""Every answer under /api/v1/ is JSON (API.md), also the ones no endpoint gives.

The API's exception handlers (core/api.py) format what an endpoint raises. Some answers never
reach them: Django's 404 for a path no route matches, ninja's plain-text 405 for a method the
path does not have (given before authentication, by ninja's own path view), Django's 500
page and the 503 of a database that does not answer (core.views.server_error). This middleware turns any such non-JSON error under the API's prefix into the error
format, with the code of its status; pages outside the API keep their HTML.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from opportune.core.api import ERROR_CODES, error_body
from opportune.core.audit import API, PAGE, door
from opportune.core.company import settings_read_once


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
            or not request.path.startswith(self.prefix)
        ):
            return response
        return self.as_json(request, response)

    @property
    def prefix(self) -> str:
        if self._prefix is None:  # the URLconf is loaded by the first request, not at start-up
            self._prefix = reverse("api:api-root")
        return self._prefix

    def as_json(self, request: HttpRequest, response: HttpResponse) -> JsonResponse:
        status = response.status_code
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",")))
        if status == 404:
            docs = reverse("api:openapi-view")
            message = f"Not found: {request.path} (the endpoints are listed at {docs})."
        elif status == 405:
            message = f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
        elif status == 503:
            message = "The service is unavailable for a moment; nothing was saved: try again."
        elif status >= 500:
            message = "Server error: the request could not be completed."
        else:
            message = f"{response.reason_phrase}."
        answer = JsonResponse(
            error_body(ERROR_CODES.get(status, "error"), message),
            status=status,
            content_type="application/json; charset=utf-8",  # as the API's own answers
            json_dumps_params={"ensure_ascii": False},
        )
        if status == 405:
            answer["Allow"] = allowed
        if "Retry-After" in response:
            answer["Retry-After"] = response["Retry-After"]
        return answer


class CompanySettingsOncePerRequestMiddleware:
    """A request reads the company settings (core.company) at most once, however many pages,
    services and schemas ask for them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with settings_read_once():
            return self.get_response(request)


class AuditDoorMiddleware:
    """Changes made while answering a request are recorded (core.audit) as coming through the
    API (paths under /api/) or a page (anything else)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._prefix is None:  # the URLconf is loaded by the first request
            self._prefix = reverse("api:api-root")
        with door(API if request.path.startswith(self._prefix) else PAGE):
            return self.get_response(request)


class WritesInOneTransactionMiddleware:
    """A write request (POST, PUT, PATCH, DELETE) is one transaction, its answer included.

    The services commit their own work; without this, a request whose service had committed
    and whose answer was then read from a database that had just gone away (restarted, failed
    over) answered 503 for a write that was done, and the client retrying it made it twice.
    Here the answer is read and rendered before the commit, so whatever fails, a 5xx means
    nothing was written: the database's error or a server error (5xx answer) rolls the whole
    request back. A request already inside a transaction (a test's) joins it.
    """

    WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.WRITES or connection.in_atomic_block:
            return self.get_response(request)
        with transaction.atomic():
            request.one_transaction = True  # type: ignore[attr-defined]  # core.commits.one_write
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
