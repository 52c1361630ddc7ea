"""List filters for the CRM documents: one definition used by the pages and the API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from django.db.models import Q, QuerySet
from django.utils import timezone
from ninja.filter_schema import FilterLookup
from pydantic import Field, field_validator

from opportune.core.fields import reject_nul
from opportune.core.filters import CommaList, FilterSchema
from opportune.core.search import matching_names
from opportune.crm.awaiting_response import is_overdue_first_response
from opportune.crm.models import Opportunity
from opportune.crm.stale import is_stale

OPPORTUNITY_ORDERINGS = (
    "modified",
    "creation",
    "name",
    "transaction_date",
    "expected_closing",
    "opportunity_amount",
    "base_opportunity_amount",
    "probability",
    "status",
    "title",
)
OPPORTUNITY_NULLABLE = frozenset({"expected_closing"})


class _Filters(FilterSchema):
    _no_nul = field_validator("*", mode="before")(reject_nul)


class OpportunityFilters(_Filters):
    status: Annotated[CommaList, FilterLookup("status__in")] = None
    sales_stage: Annotated[CommaList, FilterLookup("sales_stage_id__in")] = None
    opportunity_type: Annotated[CommaList, FilterLookup("opportunity_type_id__in")] = None
    source: Annotated[CommaList, FilterLookup("source_id__in")] = None
    campaign: Annotated[CommaList, FilterLookup("campaign_id__in")] = None
    territory: Annotated[CommaList, FilterLookup("territory_id__in")] = None
    customer_group: Annotated[CommaList, FilterLookup("customer_group_id__in")] = None
    currency: Annotated[CommaList, FilterLookup("currency_id__in")] = None
    opportunity_from: Annotated[CommaList, FilterLookup("opportunity_from__in")] = None
    party_name: Annotated[CommaList, FilterLookup("party_name__in")] = None
    opportunity_owner: CommaList = Field(None, description="Usernames, comma-separated.")
    contact_by: Annotated[CommaList, FilterLookup("contact_by__username__in")] = None
    transaction_date__gte: Annotated[date | None, FilterLookup("transaction_date__gte")] = None
    transaction_date__lte: Annotated[date | None, FilterLookup("transaction_date__lte")] = None
    expected_closing__gte: Annotated[date | None, FilterLookup("expected_closing__gte")] = None
    expected_closing__lte: Annotated[date | None, FilterLookup("expected_closing__lte")] = None
    contact_date__gte: Annotated[datetime | None, FilterLookup("contact_date__gte")] = None
    contact_date__lte: Annotated[datetime | None, FilterLookup("contact_date__lte")] = None
    modified__gte: Annotated[datetime | None, FilterLookup("modified__gte")] = None
    modified__lte: Annotated[datetime | None, FilterLookup("modified__lte")] = None
    opportunity_amount__gte: Annotated[Decimal | None, FilterLookup("opportunity_amount__gte")] = (
        None
    )
    opportunity_amount__lte: Annotated[Decimal | None, FilterLookup("opportunity_amount__lte")] = (
        None
    )
    base_opportunity_amount__gte: Annotated[
        Decimal | None, FilterLookup("base_opportunity_amount__gte")
    ] = None
    base_opportunity_amount__lte: Annotated[
        Decimal | None, FilterLookup("base_opportunity_amount__lte")
    ] = None
    probability__gte: Annotated[Decimal | None, FilterLookup("probability__gte")] = None
    probability__lte: Annotated[Decimal | None, FilterLookup("probability__lte")] = None
    modified_on__gte: date | None = Field(
        None, description="Last changed on or after this day (in the user's time zone)."
    )
    modified_on__lte: date | None = Field(
        None, description="Last changed on or before this day (in the user's time zone)."
    )

    def filter_opportunity_owner(self, value: list[str] | None) -> Q:
        # by the owners' ids read in the list's own statement (accounts.lookups):
        # opp_owner_status_modified reads the rows in the list's order
        return Q(opportunity_owner__user_named=value) if value else Q()

    def filter_modified_on__gte(self, value: date | None) -> Q:
        return Q(modified__gte=start_of_day(value)) if value else Q()

    def filter_modified_on__lte(self, value: date | None) -> Q:
        return Q(modified__lt=start_of_day(value + timedelta(days=1))) if value else Q()

    stale: bool | None = Field(
        None,
        description="1: only stale deals (Open or Replied, unchanged for longer than their "
        "sales stage's stale_after_days); 0: none of them.",
    )

    def filter_stale(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        stale = is_stale(timezone.now())
        return stale if value else ~stale

    overdue_first_response: bool | None = Field(
        None,
        description="1: only Open opportunities still without a first response after more "
        "business minutes than CRM Settings' first_response_target_minutes; 0: all but those. "
        "Without a target none is overdue.",
    )

    def filter_overdue_first_response(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        overdue = is_overdue_first_response(timezone.now())
        return overdue if value else ~overdue


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the current time zone (the user's), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def search_opportunities(queryset: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    if not text:
        return queryset
    # name, title, party_name and contact_email (Opportunity.search_fields), through core.search
    return queryset.filter(name__in=matching_names(Opportunity.doctype, text))


LEAD_ORDERINGS = ("modified", "creation", "name", "lead_name", "company_name", "status")


class LeadFilters(_Filters):
    status: Annotated[CommaList, FilterLookup("status__in")] = None
    source: Annotated[CommaList, FilterLookup("source_id__in")] = None
    campaign: Annotated[CommaList, FilterLookup("campaign_id__in")] = None
    territory: Annotated[CommaList, FilterLookup("territory_id__in")] = None
    lead_owner: Annotated[CommaList, FilterLookup("lead_owner__username__in")] = None
    email_id: Annotated[str | None, FilterLookup("email_id__iexact")] = None
    modified__gte: Annotated[datetime | None, FilterLookup("modified__gte")] = None
    modified__lte: Annotated[datetime | None, FilterLookup("modified__lte")] = None


def search_leads(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(
        Q(name__icontains=text)
        | Q(lead_name__icontains=text)
        | Q(company_name__icontains=text)
        | Q(email_id__icontains=text)
    )


CUSTOMER_ORDERINGS = ("modified", "creation", "name", "customer_name")


class CustomerFilters(_Filters):
    customer_group: Annotated[CommaList, FilterLookup("customer_group_id__in")] = None
    territory: Annotated[CommaList, FilterLookup("territory_id__in")] = None
    customer_type: Annotated[CommaList, FilterLookup("customer_type__in")] = None
    disabled: Annotated[bool | None, FilterLookup("disabled")] = None


def search_customers(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(
        Q(name__icontains=text) | Q(customer_name__icontains=text) | Q(email_id__icontains=text)
    )


CONTACT_ORDERINGS = ("modified", "creation", "name", "first_name")


class ContactFilters(_Filters):
    link_doctype: Annotated[CommaList, FilterLookup("link_doctype__in")] = None
    link_name: Annotated[CommaList, FilterLookup("link_name__in")] = None
    email_id: Annotated[str | None, FilterLookup("email_id__iexact")] = None


def search_contacts(queryset: QuerySet, text: str) -> QuerySet:
    return queryset.filter(
        Q(first_name__icontains=text) | Q(last_name__icontains=text) | Q(email_id__icontains=text)
    )
