"""The user types that annotations name: ``User``, who acts (a signed-in user, the ``by`` of
every service), ``AnyUser``, who asks (access checks also answer anonymous visitors), and
``SignedInRequest``, the request of a page behind ``login_required``.

Imported under ``TYPE_CHECKING`` only, so no module loads django.contrib.auth's models early.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

AnyUser: TypeAlias = User | AnonymousUser

__all__ = ["AnyUser", "SignedInRequest", "User"]


class SignedInRequest(HttpRequest):
    """The request of a page behind ``login_required``: its user is signed in."""

    user: User
