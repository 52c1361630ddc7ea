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
    sales_users_see_all: bool = Field(..., description=HELP["sales_users_see_all"])
    version: int


class CRMSettingsPatch(VersionIn):
    company_name: str | None = Field(None, min_length=1, max_length=140)
    company_currency: str | None = Field(None, min_length=3, max_length=3)
    time_zone: str | None = Field(None, min_length=1, max_length=60)
    close_opportunity_after_days: int | None = Field(None, ge=0, le=36500)
    default_valid_till: int | None = Field(None, ge=0, le=36500)
    carry_forward_communication_and_comments: bool | None = None
    auto_creation_of_contact: bool | None = None
    sales_users_see_all: bool | None = None
