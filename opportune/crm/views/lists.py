"""The opportunity list and board share their filters: one reader, one set of select options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, QueryDict

from opportune.activities.todos import with_next_activity
from opportune.core.pages import read_filters
from opportune.core.statements import Placeholders, Statement, fetch, visible_statement
from opportune.crm import access
from opportune.crm.awaiting_response import first_response_cutoff, with_response_overdue_before
from opportune.crm.filters import OpportunityFilters, search_opportunities
from opportune.crm.forms import sales_users
from opportune.crm.models import LeadSource, Opportunity, OpportunityType, SalesStage
from opportune.crm.stale import with_stale_days
from opportune.masters.models import Territory

# The filters the list and board pages offer (the API accepts more; the URL may carry them too).
FILTER_FIELDS = (
    "status",
    "sales_stage",
    "opportunity_owner",
    "opportunity_type",
    "source",
    "territory",
    "expected_closing__gte",
    "expected_closing__lte",
    "base_opportunity_amount__gte",
    "base_opportunity_amount__lte",
    "stale",
    "overdue_first_response",
)


# the select options read from short master lists, in their lists' order (stages: pipeline order)
MASTER_OPTIONS: dict[str, tuple[type[Model], str]] = {
    "stages": (SalesStage, "idx"),
    "types": (OpportunityType, "0"),
    "sources": (LeadSource, "0"),
    "territories": (Territory, "0"),
}


def master_options() -> dict[str, list[str]]:
    """The names of each list of MASTER_OPTIONS, in one query (a UNION ALL of the short lists)
    instead of one a list."""
    quote = connection.ops.quote_name
    union = " UNION ALL ".join(
        f"SELECT {n} AS kind, {order} AS sort, {quote('name')} FROM {quote(model._meta.db_table)}"
        for n, (model, order) in enumerate(MASTER_OPTIONS.values())
    )
    options: dict[str, list[str]] = {key: [] for key in MASTER_OPTIONS}
    keys = list(MASTER_OPTIONS)
    with connection.cursor() as cursor:
        cursor.execute(f"{union} ORDER BY 1, 2, 3")
        for kind, _sort, name in cursor.fetchall():
            options[keys[kind]].append(name)
    return options


def filter_options() -> dict[str, Any]:
    return {
        "statuses": Opportunity.Status.values,
        **master_options(),
        "owners": [  # every list and board page: a kept statement (core/statements.py)
            (u.username, u.get_full_name() or u.username)
            for u in fetch(
                "crm.owner_options",
                lambda _v: sales_users().only("username", "first_name", "last_name"),
            )
        ],
    }


@dataclass(frozen=True)
class Filtered:
    """The opportunities a list or board page shows: the user's, the URL's filters (what they
    could read of them) and its search, and what the filter form shows back."""

    visible: QuerySet[Opportunity]
    condition: Q
    q: str
    errors: dict[str, str]
    context: dict[str, Any]

    @property
    def rows(self) -> QuerySet[Opportunity]:
        rows = self.visible.filter(self.condition)
        return search_opportunities(rows, self.q) if self.q else rows


def read_opportunity_filters(
    request: HttpRequest, *, default_status: tuple[str, ...] = ()
) -> Filtered:
    """The list's and the board's filters from the URL.

    ``default_status`` applies when the URL names no status (the board by stage shows the
    live pipeline, not what was lost or closed long ago)."""
    query: QueryDict = request.GET
    if default_status and not any(v.strip() for v in query.getlist("status")):
        query = query.copy()
        query.setlist("status", list(default_status))
    filters, errors = read_filters(OpportunityFilters, query)
    q = request.GET.get("q", "").strip()[:200]
    selected = {
        key: _shown(value) for key, value in filters.model_dump().items() if key in FILTER_FIELDS
    }
    for key in FILTER_FIELDS:
        if key in errors:  # keep what the user typed so they can correct it
            selected[key] = request.GET.get(key, "")
    active = any(request.GET.get(k) for k in FILTER_FIELDS) or bool(request.GET.get("q"))
    return Filtered(
        visible=access.opportunities_visible_to(request.user),
        condition=filters.get_filter_expression(),
        q=q,
        errors=errors,
        context={"selected": selected, "filters_active": active, "q": q},
    )


def filtered_opportunities(request: HttpRequest, *, default_status: tuple[str, ...] = ()):
    """(queryset, errors, selected values) for the list and the board."""
    found = read_opportunity_filters(request, default_status=default_status)
    return found.rows, found.errors, found.context


def listed_opportunities(found: Filtered, now: datetime) -> QuerySet[Opportunity] | Statement:
    """The list page's rows: ``found``'s with what each row shows beside its columns (stale
    days, an overdue first response, the next activity's date). For a user who sees every
    opportunity and filters by values (no search), a kept statement (core/statements.py): the
    page's query, with its subqueries, is compiled once a process."""
    cutoff = first_response_cutoff(now)

    def shown(rows: QuerySet[Opportunity], v: Placeholders) -> QuerySet[Opportunity]:
        rows = with_stale_days(rows.select_related("currency", "opportunity_owner"), v.now)
        rows = with_response_overdue_before(rows, v.cutoff if cutoff is not None else None)
        return with_next_activity(rows, Opportunity.doctype)

    values: dict[str, Any] = {"now": now}
    if cutoff is not None:
        values["cutoff"] = cutoff
    statement = None
    if not found.q:  # a search is a pattern: no placeholder
        key = ("crm.opportunity_page", cutoff is None)
        statement = visible_statement(key, found.visible, found.condition, shown, **values)
    return statement if statement is not None else shown(found.rows, Placeholders(values))


def _shown(value: Any) -> Any:
    """A filter value as the form shows it: lists stay lists, the rest becomes text."""
    if isinstance(value, list):
        return value
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
