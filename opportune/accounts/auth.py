"""How API requests authenticate: a per-user bearer token, or the browser session.

The order of the answers (API.md): no credentials at all is 401, whatever the method; a
request carried by the browser session must also pass the CSRF check on unsafe methods (403
without it); a bearer token is not sent by browsers on their own, so it needs no CSRF token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from opportune.accounts.services import user_for_token
from opportune.core.errors import PermissionDeniedError

CSRF_FAILED = (
    "CSRF check failed: a request made with the browser session must send the X-CSRFToken "
    "header (the csrftoken cookie's value). Scripts use a Bearer token."
)

if TYPE_CHECKING:
    from opportune.core.users import User


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a per-user API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token.strip())
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The browser session of an active user, CSRF-checked on unsafe methods.

    ninja's SessionAuth checks CSRF before it looks for a user, so a request with no
    credentials at all answered 403 "CSRF check Failed" instead of 401. Here the check comes
    once there is a session user: no user is no credentials (the API answers 401)."""

    def __call__(self, request: HttpRequest):
        user = self.authenticate(request, None)
        if user is None:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise PermissionDeniedError(CSRF_FAILED)
        return user

    def authenticate(self, request: HttpRequest, key: Any) -> User | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


API_AUTH = [TokenAuth(), ActiveSessionAuth()]
