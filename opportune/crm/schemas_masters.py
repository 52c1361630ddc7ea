"""JSON shapes of the CRM's masters and of the CRM settings.

As every master (masters/schemas.py), each is created with ``name`` or ERPNext's key field
(``stage_name``, ``source_name``, ``campaign_name``, ``lost_reason``, ``competitor_name``) and
answers both; an Opportunity Type has no key field in ERPNext (named by prompt)."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from opportune.core.schemas import DecimalIn, StrictIn, VersionIn
from opportune.crm.services.masters import CRM_SETTINGS_HELP as HELP
from opportune.masters.schemas import NAME, key_in, key_out, name_in, stored_decimal

LONG_TEXT = Field(None, max_length=20000)
STALE_HELP = (
    "Odoo's rotting days: an Open or Replied opportunity in this stage not changed for more "
    "days than this is stale (list filter stale=1, board, home page); null: never."
)


class DescribedOut(Schema):
    name: str
    description: str


class DescribedPatch(StrictIn):
    description: str | None = LONG_TEXT


class DescribedCreate(DescribedPatch):
    name: str = NAME


class CampaignOut(Schema):
    name: str
    campaign_name: str = key_out()
    description: str


class CampaignCreate(DescribedPatch):
    name: str | None = name_in("campaign_name")
    campaign_name: str | None = key_in()


class LeadSourceOut(Schema):
    name: str
    source_name: str = key_out()
    details: str


class LeadSourcePatch(StrictIn):
    details: str | None = LONG_TEXT


class LeadSourceCreate(LeadSourcePatch):
    name: str | None = name_in("source_name")
    source_name: str | None = key_in()


class LostReasonOut(Schema):
    name: str
    lost_reason: str = key_out()


class LostReasonCreate(StrictIn):
    name: str | None = name_in("lost_reason")
    lost_reason: str | None = key_in()


class SalesStageOut(Schema):
    name: str
    stage_name: str = key_out()
    idx: int = Field(..., description="Position in the pipeline (kanban column order)")
    probability: str = Field(..., description="Default probability in percent (decimal text)")
    stale_after_days: int | None = Field(..., description=STALE_HELP)

    @staticmethod
    def resolve_probability(obj) -> str:
        return stored_decimal(obj, "probability")


class SalesStagePatch(StrictIn):
    idx: int | None = Field(None, ge=0, le=32767)
    probability: DecimalIn | None = Field(None, ge=0, le=100)
    stale_after_days: int | None = Field(None, ge=1, le=36500, description=STALE_HELP)


class SalesStageCreate(SalesStagePatch):
    name: str | None = name_in("stage_name")
    stage_name: str | None = key_in()


class CompetitorOut(Schema):
    name: str
    competitor_name: str = key_out()
    website: str


class CompetitorPatch(StrictIn):
    website: str | None = Field(None, max_length=200)


class CompetitorCreate(CompetitorPatch):
    name: str | None = name_in("competitor_name")
    competitor_name: str | None = key_in()


# --- business hours (core.business_hours checks the rest: order, overlaps, real dates) ---------
TIME_OF_DAY = Field(..., pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$", examples=["09:00"])
DAY = Field(None, max_length=6, description="The working intervals of the day; none: not worked")


class WorkingInterval(StrictIn):
    start: str = TIME_OF_DAY
    end: str = TIME_OF_DAY


class WorkingHours(StrictIn):
    """Working intervals per weekday (company time zone); a day left out is not worked."""

    mon: list[WorkingInterval] | None = DAY
    tue: list[WorkingInterval] | None = DAY
    wed: list[WorkingInterval] | None = DAY
    thu: list[WorkingInterval] | None = DAY
    fri: list[WorkingInterval] | None = DAY
    sat: list[WorkingInterval] | None = DAY
    sun: list[WorkingInterval] | None = DAY


class Holiday(StrictIn):
    date: str = Field(..., pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["2026-12-25"])
    description: str = Field("", max_length=140)


class CRMSettingsOut(Schema):
    company_name: str
    company_currency: str = Field(..., alias="company_currency_id")
    time_zone: str = Field(..., description=HELP["time_zone"])
    close_opportunity_after_days: int = Field(..., description=HELP["close_opportunity_after_days"])
    default_valid_till: int | None = Field(..., description=HELP["default_valid_till"])
    carry_forward_communication_and_comments: bool = Field(
        ..., description=HELP["carry_forward_communication_and_comments"]
    )
    auto_creation_of_contact: bool = Field(..., description=HELP["auto_creation_of_contact"])
    allow_lead_duplication_based_on_emails: bool = Field(
        ..., description=HELP["allow_lead_duplication_based_on_emails"]
    )
    sales_users_see_all: bool = Field(..., description=HELP["sales_users_see_all"])
    working_hours: dict[str, list[WorkingInterval]] = Field(..., description=HELP["working_hours"])
    holidays: list[Holiday] = Field(..., description=HELP["holidays"])
    first_response_target_minutes: int | None = Field(
        ..., description=HELP["first_response_target_minutes"]
    )
    version: int


class CRMSettingsPatch(VersionIn):
    company_name: str | None = Field(None, min_length=1, max_length=140)
    company_currency: str | None = Field(None, min_length=3, max_length=3)
    time_zone: str | None = Field(None, min_length=1, max_length=60)
    close_opportunity_after_days: int | None = Field(None, ge=0, le=36500)
    default_valid_till: int | None = Field(None, ge=0, le=36500)
    carry_forward_communication_and_comments: bool | None = None
    auto_creation_of_contact: bool | None = None
    allow_lead_duplication_based_on_emails: bool | None = None
    sales_users_see_all: bool | None = None
    working_hours: WorkingHours | None = Field(None, description=HELP["working_hours"])
    holidays: list[Holiday] | None = Field(None, max_length=1000, description=HELP["holidays"])
    first_response_target_minutes: int | None = Field(
        None, ge=0, le=1_000_000, description=HELP["first_response_target_minutes"]
    )
