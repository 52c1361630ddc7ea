"""The company every document is kept for: its currency (and that currency's minor unit) and the
defaults the documents take from the settings.

The settings are stored by an app above core (crm's CRM Settings); that app registers how to
read them at start-up, so the document machinery in core can ask without importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol


class CompanySettings(Protocol):
    # Read-only members, so that a model (whose fields also accept expressions) satisfies it.
    @property
    def company_currency_id(self) -> str: ...

    @property
    def company_currency(self) -> Any: ...  # a Currency: ``.precision`` is its minor unit

    @property
    def default_valid_till(self) -> int | None: ...

    @property
    def time_zone(self) -> str: ...  # an IANA name: the schedule's cron and the calendar read it


_loader: Callable[[], CompanySettings] | None = None
# The company currency's precision as an expression (a subquery on the settings row), for a
# query that reads it along with its rows (core/api_lists.py): None, not registered.
_precision: Callable[[], Any] | None = None
# Within one request the settings are read once (``settings_read_once``); elsewhere (jobs,
# commands, tests calling services) every call reads them afresh.
_UNREAD = object()
_memo: ContextVar[Any] = ContextVar("company_settings", default=None)


def register_company_settings(
    loader: Callable[[], CompanySettings], precision: Callable[[], Any] | None = None
) -> None:
    """``loader`` reads the settings row; ``precision()`` makes an expression giving its
    currency's minor unit inside another query (NULL without a settings row)."""
    global _loader, _precision
    _loader, _precision = loader, precision


def company_precision_expression() -> Any | None:
    """The company currency's precision as an expression for a query's select (None: the
    settings app gave none; read ``company_settings()`` instead)."""
    return _precision() if _precision is not None else None


def company_settings() -> CompanySettings:
    """The settings row: one query, once per request."""
    if _loader is None:  # pragma: no cover - the crm app registers it in ready()
        raise RuntimeError("No company settings are registered (is the crm app installed?).")
    memo = _memo.get()
    if memo is None:
        return _loader()
    if memo[0] is _UNREAD:
        memo[0] = _loader()
    settings: CompanySettings = memo[0]
    return settings


def forget_company_settings() -> None:
    """After the settings changed: the next ``company_settings()`` reads them again."""
    memo = _memo.get()
    if memo is not None:
        memo[0] = _UNREAD


@contextmanager
def settings_read_once() -> Iterator[None]:
    """Read the settings at most once inside the block (a request)."""
    token = _memo.set([_UNREAD])
    try:
        yield
    finally:
        _memo.reset(token)
