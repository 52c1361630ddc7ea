"""How API requests authenticate: a per-user bearer token, or the browser session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from opportune.accounts.services import user_for_token

if TYPE_CHECKING:
    from opportune.core.users import User


class ApiRequest(HttpRequest):
    """The request an API endpoint gets: API_AUTH let it through, ``auth`` is its user."""

    auth: User


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a per-user API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token.strip())
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The browser session (CSRF checked on unsafe methods by ninja)."""

    def authenticate(self, request: HttpRequest, key: Any) -> User | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


API_AUTH = [TokenAuth(), ActiveSessionAuth()]
