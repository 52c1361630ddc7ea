"""Transactions around the services: work done once a transaction commits, whose failure must
not fail the work committed; a write request's one service, without a savepoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest


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


# --- a write request's one service ---------------------------------------------------------------
_ONE_WRITE: ContextVar[bool] = ContextVar("one_write", default=False)


@contextmanager
def one_write(request: HttpRequest) -> Iterator[None]:
    """The block is the request's one service call, in the transaction that
    ``WritesInOneTransactionMiddleware`` opened for the request (not one it joined: a test's),
    and a failure in it ends the request (the API's create and change: ninja answers the error
    and nothing else is read or written). ``service_atomic()`` then opens no savepoint."""
    token = _ONE_WRITE.set(bool(getattr(request, "one_transaction", False)))
    try:
        yield
    finally:
        _ONE_WRITE.reset(token)


def service_atomic() -> transaction.Atomic:
    """A service's transaction: ``transaction.atomic()``; inside ``one_write``, for the
    outermost service only, a part of the request's transaction with no savepoint of its own:
    two round trips fewer (SAVEPOINT, RELEASE) on every create and change through the API. A
    failure then marks the request's transaction for rollback, and its 4xx answer rolls it back
    whole: what the savepoint would have undone, and the token's last-use stamp with it. Inner
    services (and callers that go on after a failure, such as bulk changes, which are not
    ``one_write``) keep their savepoints."""
    if _ONE_WRITE.get() and connection.in_atomic_block:
        _ONE_WRITE.set(False)  # the services it calls keep their savepoints
        return transaction.atomic(savepoint=False)
    return transaction.atomic()
