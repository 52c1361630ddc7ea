"""The user types that annotations name: ``User``, who acts (a signed-in user, the ``by`` of
every service), and ``AnyUser``, who asks (access checks also answer anonymous visitors).

Imported under ``TYPE_CHECKING`` only, so no module loads django.contrib.auth's models early.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User

AnyUser: TypeAlias = User | AnonymousUser

__all__ = ["AnyUser", "User"]
