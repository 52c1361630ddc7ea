"""What only the CRM pages share (the generic page helpers are core's: ``core.pages``)."""

from __future__ import annotations

from opportune.core.company import company_settings


def company_currency() -> tuple[str, int]:
    """The company currency and its minor unit, for the totals the pages show."""
    settings = company_settings()
    return settings.company_currency_id, settings.company_currency.precision
