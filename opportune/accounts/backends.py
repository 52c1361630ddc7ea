"""Login throttling: django-axes' check before any password is tried (settings: security).

Every sign-in door of the site (the login page, the admin's login) authenticates with the
request, so axes counts its failures per username and per address. ``authenticate()`` called
without a request comes from no network door (Django's test client ``login()``, a shell): it
has no address to count, so the throttle lets it through to the password check instead of
failing with axes' "request required" error.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from opportune.core.statements import fetch


class LoginThrottle(AxesStandaloneBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class Users(ModelBackend):
    """Django's ModelBackend, with the signed-in user of a session read by a kept statement
    (core/statements.py): every page reads it, built and compiled again by Django's backend
    (issue 12: the list page's p95). The roles come after, as before (accounts.roles)."""

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        rows = fetch(
            "accounts.session_user", lambda v: model._default_manager.filter(pk=v.pk), pk=pk
        )
        user = rows[0] if rows else None
        return user if user is not None and self.user_can_authenticate(user) else None


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted against: the connection's, or behind
    ``TRUSTED_PROXY_COUNT`` proxies the one the outermost of them saw (X-Forwarded-For is
    read from the right, so a client cannot choose it by sending the header itself)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
