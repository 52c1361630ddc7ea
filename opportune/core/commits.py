"""Work done once a transaction commits, whose failure must not fail the work committed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


def after_commit_robust(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Call ``func(*args, **kwargs)`` once the current transaction commits (at once outside
    one). If it raises, the error is logged and the caller's answer stands: the work it
    follows is committed, and a write that can wait (a counter that follows, a rule's last
    user) must not turn that into an error.

    Django logs a failed robust hook by the callable's ``__qualname__``, which a
    ``functools.partial`` lacks: the log call itself then raised AttributeError, out of the
    commit, and a committed create answered 500 (found by the fault test of a PostgreSQL
    restart). The hook here is a named function that carries ``func``'s name.
    """

    def hook() -> None:
        func(*args, **kwargs)

    hook.__qualname__ = getattr(func, "__qualname__", repr(func))
    transaction.on_commit(hook, robust=True)
