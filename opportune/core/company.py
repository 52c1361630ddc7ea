"""The company every document is kept for: its currency (and that currency's minor unit) and the
defaults the documents take from the settings.

The settings are stored by an app above core (crm's CRM Settings); that app registers how to
read them at start-up, so the document machinery in core can ask without importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class CurrencyLike(Protocol):
    precision: int


class CompanySettings(Protocol):
    # Read-only members, so that a model (whose fields also accept expressions) satisfies it.
    @property
    def company_currency_id(self) -> str: ...

    @property
    def company_currency(self) -> Any: ...  # a Currency: ``.precision`` is its minor unit

    @property
    def default_valid_till(self) -> int | None: ...


_loader: Callable[[], CompanySettings] | None = None


def register_company_settings(loader: Callable[[], CompanySettings]) -> None:
    global _loader
    _loader = loader


def company_settings() -> CompanySettings:
    """The settings row (one query; pass it on rather than asking again in one request)."""
    if _loader is None:  # pragma: no cover - the crm app registers it in ready()
        raise RuntimeError("No company settings are registered (is the crm app installed?).")
    return _loader()
