"""Refusing an operation by role before its body is read.

ninja authenticates a request before it parses the body, so a check made inside the handler
comes after validation: a sales user's malformed POST to a master answered 422 (and told what
the body should look like) where it should answer 403 whatever its shape. ``gated`` wraps the
API's authentications so that, once one of them has found the user, a user the predicate refuses
is a 403 (docs/decisions/0008-record-rules.md). No credentials stay a 401; the wrapped classes
keep their names, so the OpenAPI document's security schemes do not change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest

from opportune.core.errors import PermissionDeniedError

Allowed = Callable[[Any], bool]


_classes: dict[type[Any], type[Any]] = {}


def _gated_class(base: type[Any]) -> type[Any]:
    """``base`` whose call refuses (403) the user it authenticated if ``_allowed`` says no."""

    def __call__(self: Any, request: HttpRequest) -> Any:
        user = base.__call__(self, request)
        if user and not self._allowed(user):
            raise PermissionDeniedError(self._refusal)
        return user

    if base not in _classes:
        namespace = {"__module__": base.__module__, "__qualname__": base.__qualname__}
        _classes[base] = type(base.__name__, (base,), {"__call__": __call__, **namespace})
    return _classes[base]


def gated(auth: Sequence[Any], allowed: Allowed, refusal: str) -> list[Any]:
    """The authentications ``auth``, each refusing a user ``allowed`` refuses (403)."""
    wrapped = []
    for one in auth:
        gate = copy.copy(one)
        gate.__class__ = _gated_class(type(one))
        gate._allowed, gate._refusal = allowed, refusal
        wrapped.append(gate)
    return wrapped
