"""The CRM's masters (opportunity types, lead sources, campaigns, sales stages, lost reasons,
competitors) through the generic master service, and the CRM settings (one versioned row)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F

from opportune.accounts.time_zones import is_known_time_zone
from opportune.core.business_hours import (
    check_holidays,
    check_working_hours,
    normalised_holidays,
    normalised_working_hours,
)
from opportune.core.company import forget_company_settings
from opportune.core.documents import require_version
from opportune.core.errors import FieldErrors, StaleVersionError
from opportune.core.fields import Link, apply_fields, check_known_fields, validate_model_fields
from opportune.crm.models import (
    Campaign,
    Competitor,
    CRMSettings,
    LeadSource,
    OpportunityLostReason,
    OpportunityType,
    SalesStage,
)
from opportune.masters.models import Currency
from opportune.masters.services import MasterSpec

if TYPE_CHECKING:
    from opportune.core.users import User


def _check_sales_stage(stage: SalesStage, errors: FieldErrors) -> None:
    if stage.probability is not None and not 0 <= stage.probability <= 100:
        errors.add("probability", "A probability is between 0 and 100.")


# ``key``: ERPNext's field for the name (ERPNext names an Opportunity Type by prompt: none).
OPPORTUNITY_TYPE = MasterSpec(OpportunityType, "Opportunity Type", {"description": None})
LEAD_SOURCE = MasterSpec(LeadSource, "Lead Source", {"details": None}, key="source_name")
CAMPAIGN = MasterSpec(Campaign, "Campaign", {"description": None}, key="campaign_name")
SALES_STAGE = MasterSpec(
    SalesStage,
    "Sales Stage",
    {"idx": None, "probability": None, "stale_after_days": None},
    check=_check_sales_stage,
    key="stage_name",
)
LOST_REASON = MasterSpec(OpportunityLostReason, "Lost Reason", key="lost_reason")
COMPETITOR = MasterSpec(Competitor, "Competitor", {"website": None}, key="competitor_name")


# --- CRM settings ------------------------------------------------------------------------------
CRM_SETTINGS_SPEC: dict[str, Link | None] = {
    "company_name": None,
    "company_currency": Link(Currency, "Currency", {"enabled": True}),
    "time_zone": None,
    "close_opportunity_after_days": None,
    "default_valid_till": None,
    "carry_forward_communication_and_comments": None,
    "auto_creation_of_contact": None,
    "allow_lead_duplication_based_on_emails": None,
    "sales_users_see_all": None,
    "working_hours": None,
    "holidays": None,
    "first_response_target_minutes": None,
}

# What each setting does (or, not yet, will do): one text for the admin form and the API schema.
CRM_SETTINGS_HELP = {
    "time_zone": "The company's time zone (an IANA name): the schedule's times (auto-close, "
    "reminders, the morning digest, quotation expiry), assignment days, and the calendar of "
    "users who chose no zone of their own. Document dates follow the server's TIME_ZONE.",
    "close_opportunity_after_days": "Close a Replied opportunity when the party has not "
    "written back for this many days since it became Replied (the nightly auto-close job); "
    "0 never.",
    "default_valid_till": "Default quotation validity in days; empty or 0: one month after "
    "the quotation date.",
    "carry_forward_communication_and_comments": "When an opportunity is made from a lead, the "
    "lead's comments (and e-mails) appear on the opportunity's timeline, as copies made at "
    "that moment.",
    "allow_lead_duplication_based_on_emails": "Allow a lead with the email address of "
    "another lead (ERPNext's setting); off: refused.",
    "auto_creation_of_contact": "A new lead gets a primary contact from its name, email, "
    "phones and job title; it is copied to the customer the lead becomes.",
    "working_hours": "Working hours per weekday in the company's time zone: "
    '{"mon": [{"start": "09:00", "end": "17:00"}], ...} (mon to sun; a day left out is not '
    'worked; several intervals a day must not overlap; "24:00" ends a day). Business minutes '
    "(the first response, its target) count only these hours.",
    "holidays": "Days not worked (whole local days): "
    '[{"date": "2026-12-25", "description": "Christmas Day"}, ...].',
    "first_response_target_minutes": "An Open opportunity with no first response after this "
    "many business minutes since it was created is flagged on the list and the home page; "
    "empty: no target.",
    "sales_users_see_all": "Sales users see and change every lead and opportunity (and their "
    "documents), as in ERPNext. Off: only those they created, own, are assigned or are to "
    "contact; managers always see all.",
}


def _check_settings(settings: CRMSettings, errors: FieldErrors) -> None:
    if not (settings.company_name or "").strip():
        errors.add("company_name", "Give the company's name.")
    if not is_known_time_zone(settings.time_zone or ""):
        errors.add(
            "time_zone",
            f"'{settings.time_zone}' is not a known time zone "
            "(use an IANA name such as Europe/Berlin).",
        )
    # business hours: strictly checked, stored in one canonical shape
    count = len(errors.fields)
    hours = check_working_hours(settings.working_hours, errors)
    check_holidays(settings.holidays, errors)
    if settings.first_response_target_minutes is not None and not any(hours):
        errors.add(
            "first_response_target_minutes",
            "A target in business minutes needs working hours on at least one weekday.",
        )
    if len(errors.fields) == count:
        settings.working_hours = normalised_working_hours(settings.working_hours)
        settings.holidays = normalised_holidays(settings.holidays or [])


def update_crm_settings(*, data: Mapping[str, Any], version: int | None, by: User) -> CRMSettings:
    """Change the CRM settings: the caller sends the version it read; a stale one is a 409."""
    check_known_fields(data, CRM_SETTINGS_SPEC)
    require_version(version)
    assert version is not None  # require_version refused None
    with transaction.atomic():
        CRMSettings.load()  # the row exists from the first migration; make sure of it
        claimed = CRMSettings.objects.filter(pk=1, version=version).update(version=F("version") + 1)
        if not claimed:
            current = CRMSettings.objects.values_list("version", flat=True).get(pk=1)
            raise StaleVersionError("CRM", "Settings", expected=version, current=current)
        settings = CRMSettings.objects.select_for_update().get(pk=1)
        errors = FieldErrors()
        apply_fields(settings, data, CRM_SETTINGS_SPEC, errors)
        validate_model_fields(settings, errors)
        _check_settings(settings, errors)
        errors.raise_if_any()
        settings.save()
    forget_company_settings()
    return settings
