"""The everyday filters of crm's lists, shown as chips above them (core.saved_views_pages): each
is a plain URL query of the list's own filters, for the user and today (their time zone), so a
bookmark of one keeps working and a view saved from one keeps its dates."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.http import urlencode

from opportune.core.saved_views_pages import QuickFilter, register_list
from opportune.crm.models import Lead, Opportunity

LIVE = [("status", s) for s in Opportunity.ACTIVE_STATUSES]


def _query(*pairs: tuple[str, str]) -> str:
    return urlencode(list(pairs))


def month_of(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter_of(day: date) -> tuple[date, date]:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    last_month = first.month + 2
    return first, date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def opportunity_quick_filters(user: Any, today: date | None = None) -> Sequence[QuickFilter]:
    """My open, Closing this month, Stale, Lost this quarter (the lost date is the day it was
    last changed, as in the lost-opportunities report)."""
    today = today or timezone.localdate()
    month_start, month_end = month_of(today)
    quarter_start, quarter_end = quarter_of(today)
    return (
        QuickFilter("My open", _query(("opportunity_owner", user.get_username()), *LIVE)),
        QuickFilter(
            "Closing this month",
            _query(
                *LIVE,
                ("expected_closing__gte", month_start.isoformat()),
                ("expected_closing__lte", month_end.isoformat()),
            ),
        ),
        QuickFilter("Stale", _query(("stale", "1"))),
        QuickFilter(
            "Lost this quarter",
            _query(
                ("status", Opportunity.Status.LOST),
                ("modified_on__gte", quarter_start.isoformat()),
                ("modified_on__lte", quarter_end.isoformat()),
            ),
        ),
    )


def lead_quick_filters(user: Any) -> Sequence[QuickFilter]:
    return (
        QuickFilter("My leads", _query(("lead_owner", user.get_username()))),
        QuickFilter("Replied", _query(("status", Lead.Status.REPLIED))),
    )


def register() -> None:
    register_list(
        "opportunities", url_name="crm:opportunity_list", quick_filters=opportunity_quick_filters
    )
    register_list(
        "opportunity-board",
        url_name="crm:opportunity_board",
        quick_filters=opportunity_quick_filters,
    )
    register_list("leads", url_name="crm:lead_list", quick_filters=lead_quick_filters)
    register_list("customers", url_name="crm:customer_list")
