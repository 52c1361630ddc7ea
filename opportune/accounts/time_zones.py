"""Whose clock a time is shown on: the user's own time zone (their profile), else the company's
(CRM Settings ``time_zone``), else UTC."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ObjectDoesNotExist

from opportune.core.company import company_settings


@cache
def known_time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@cache
def _known() -> frozenset[str]:
    return frozenset(known_time_zones())


def is_known_time_zone(name: str) -> bool:
    """An IANA time zone name known to this machine (``Europe/Berlin``, ``UTC``)."""
    return name in _known()


def company_time_zone() -> ZoneInfo:
    name = getattr(company_settings(), "time_zone", "") or "UTC"
    return ZoneInfo(name) if is_known_time_zone(name) else ZoneInfo("UTC")


def user_time_zone(user: Any) -> ZoneInfo:
    """The user's time zone: their own when set, else the company's."""
    try:
        name = user.profile.time_zone
    except (ObjectDoesNotExist, AttributeError):  # no profile yet, or an anonymous visitor
        name = ""
    if name and is_known_time_zone(name):
        return ZoneInfo(name)
    return company_time_zone()
