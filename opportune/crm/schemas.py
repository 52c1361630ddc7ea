"""JSON shapes of the CRM documents (API.md): what comes in and what goes out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from ninja import Schema
from pydantic import EmailStr, Field

from opportune.core.schemas import (
    DecimalIn,
    DocumentOut,
    PricedLineOut,
    Resolver,
    StrictIn,
    VersionIn,
    money_columns,
    names,
    own_precision,
    reads,
    rows_with_precision,
    selects,
    username,
)
from opportune.crm.win_probability import (
    FACTORS_COLUMN,
    PROBABILITY_COLUMN,
    factors_column,
    probability_column,
    win_prediction_of,
)

Name = Field(None, max_length=140)


# --- opportunity -------------------------------------------------------------------------------
class OpportunityItemIn(StrictIn):
    item_code: str = Field(..., min_length=1, max_length=140)
    item_name: str | None = Field(None, max_length=140)
    description: str | None = None
    qty: DecimalIn | None = Field(None, gt=0)
    uom: str | None = Field(None, max_length=60)
    rate: DecimalIn | None = Field(None, ge=0)


class OpportunityItemOut(PricedLineOut):
    pass


class OpportunityFields(StrictIn):
    """Every writable field; all optional (PATCH sends only what changes)."""

    opportunity_from: Literal["Lead", "Customer"] | None = None
    party_name: str | None = Name
    title: str | None = Name
    opportunity_type: str | None = Name
    status: Literal["Open", "Replied", "Quotation", "Converted", "Closed", "Lost"] | None = None
    sales_stage: str | None = Name
    source: str | None = Name
    campaign: str | None = Name
    opportunity_owner: str | None = Name
    transaction_date: date | None = None
    expected_closing: date | None = None
    probability: DecimalIn | None = Field(None, ge=0, le=100)
    currency: str | None = Field(None, max_length=3)
    conversion_rate: DecimalIn | None = Field(None, gt=0)
    opportunity_amount: DecimalIn | None = Field(None, ge=0)
    with_items: bool | None = None
    items: list[OpportunityItemIn] | None = Field(None, max_length=500)
    contact_person: str | None = Name
    contact_email: EmailStr | None = None
    contact_mobile: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=40)
    job_title: str | None = Name
    territory: str | None = Name
    customer_group: str | None = Name
    industry: str | None = Name
    contact_date: datetime | None = None
    contact_by: str | None = Name
    to_discuss: str | None = None


class OpportunityCreate(OpportunityFields):
    pass


class OpportunityPatch(VersionIn, OpportunityFields):
    pass


_AMOUNTS = ("opportunity_amount", "total")


class WinFactor(Schema):
    factor: str  # in words: "stage Negotiation/Review"
    points: float  # how many points of probability it moved the prediction (+ or -)


# a lean list reads the prediction in its own query (core.schemas.selects)
_prediction = selects(**{PROBABILITY_COLUMN: probability_column, FACTORS_COLUMN: factors_column})


@_prediction
@reads("status")
def _win_probability(obj: object) -> float | None:
    prediction = win_prediction_of(obj)
    return prediction.probability if prediction else None


@_prediction
@reads("status")
def _win_factors(obj: object) -> list[dict[str, object]]:
    prediction = win_prediction_of(obj)
    return prediction.factors if prediction else []


class OpportunityOut(DocumentOut, money_columns(own_precision, *_AMOUNTS)):  # type: ignore[misc]
    opportunity_from: str
    party_name: str
    customer_name: str
    title: str
    opportunity_type: str = Field(..., alias="opportunity_type_id")
    status: str
    sales_stage: str | None = Field(None, alias="sales_stage_id")
    source: str | None = Field(None, alias="source_id")
    campaign: str | None = Field(None, alias="campaign_id")
    opportunity_owner: str | None
    transaction_date: date
    expected_closing: date | None
    probability: Decimal
    currency: str = Field(..., alias="currency_id")
    conversion_rate: Decimal
    opportunity_amount: str
    base_opportunity_amount: str
    with_items: bool
    items: list[OpportunityItemOut]
    total: str
    base_total: str
    contact_person: str | None = Field(None, alias="contact_person_id")
    contact_display: str
    contact_email: str
    contact_mobile: str
    phone: str
    job_title: str
    territory: str | None = Field(None, alias="territory_id")
    customer_group: str | None = Field(None, alias="customer_group_id")
    industry: str | None = Field(None, alias="industry_id")
    contact_date: datetime | None
    contact_by: str | None
    to_discuss: str
    lost_reasons: list[str]
    competitors: list[str]
    order_lost_reason: str
    first_responded_on: datetime | None
    mins_to_first_response: Decimal | None
    business_mins_to_first_response: Decimal | None
    # the model's chance of winning an open one (reports' win model; null while there is none),
    # beside the user's own probability, which the model never changes
    win_probability: float | None = None
    win_factors: list[WinFactor] = []

    resolve_opportunity_owner: ClassVar[Resolver] = username("opportunity_owner")
    resolve_contact_by: ClassVar[Resolver] = username("contact_by")

    resolve_items: ClassVar[Resolver] = staticmethod(rows_with_precision)
    resolve_win_probability: ClassVar[Resolver] = staticmethod(_win_probability)
    resolve_win_factors: ClassVar[Resolver] = staticmethod(_win_factors)
    resolve_lost_reasons: ClassVar[Resolver] = names("lost_reasons")
    resolve_competitors: ClassVar[Resolver] = names("competitors")


class DeclareLostIn(VersionIn):
    lost_reasons: list[str] = Field(..., max_length=50)
    competitors: list[str] = Field(default_factory=list, max_length=50)
    order_lost_reason: str | None = None


class CommentIn(StrictIn):
    content: str = Field(..., min_length=1, max_length=20000)


class CommentOut(Schema):
    id: int
    content: str
    comment_type: str
    owner: str | None
    creation: datetime

    resolve_owner: ClassVar[Resolver] = username("owner")


# --- leads, customers, contacts ----------------------------------------------------------------
class LeadFields(StrictIn):
    lead_name: str | None = Name
    company_name: str | None = Name
    email_id: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    mobile_no: str | None = Field(None, max_length=40)
    job_title: str | None = Name
    website: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=100)
    source: str | None = Name
    campaign: str | None = Name
    territory: str | None = Name
    industry: str | None = Name
    lead_owner: str | None = Name
    status: str | None = Field(None, max_length=20)
    notes: str | None = None
    disabled: bool | None = None


ALLOW_DUPLICATE = Field(
    None,
    description="Create it even though one of the same kind has its email address or phone "
    "number (otherwise 409 duplicate with the candidates). A lead's email address is still "
    "refused while CRM Settings allow_lead_duplication_based_on_emails is off.",
)


class LeadCreate(LeadFields):
    lead_name: str = Field(..., min_length=1, max_length=140)
    allow_duplicate: bool | None = ALLOW_DUPLICATE


class LeadPatch(VersionIn, LeadFields):
    pass


class LeadOut(DocumentOut):
    lead_name: str
    company_name: str
    email_id: str
    phone: str
    mobile_no: str
    job_title: str
    website: str
    city: str
    country: str
    source: str | None = Field(None, alias="source_id")
    campaign: str | None = Field(None, alias="campaign_id")
    territory: str | None = Field(None, alias="territory_id")
    industry: str | None = Field(None, alias="industry_id")
    lead_owner: str | None
    status: str
    notes: str
    disabled: bool

    resolve_lead_owner: ClassVar[Resolver] = username("lead_owner")


class MakeOpportunityIn(OpportunityFields):
    """Overrides for the opportunity made from a lead (all optional)."""


class CustomerFields(StrictIn):
    customer_name: str | None = Name
    customer_type: Literal["Company", "Individual"] | None = None
    customer_group: str | None = Name
    territory: str | None = Name
    industry: str | None = Name
    default_currency: str | None = Field(None, max_length=3)
    email_id: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    mobile_no: str | None = Field(None, max_length=40)
    website: str | None = Field(None, max_length=200)
    disabled: bool | None = None


class CustomerCreate(CustomerFields):
    customer_name: str = Field(..., min_length=1, max_length=140)
    allow_duplicate: bool | None = ALLOW_DUPLICATE


class CustomerPatch(VersionIn, CustomerFields):
    pass


class CustomerOut(DocumentOut):
    customer_name: str
    customer_type: str
    customer_group: str | None = Field(None, alias="customer_group_id")
    territory: str | None = Field(None, alias="territory_id")
    industry: str | None = Field(None, alias="industry_id")
    default_currency: str | None = Field(None, alias="default_currency_id")
    email_id: str
    phone: str
    mobile_no: str
    website: str
    lead_name: str | None = Field(None, alias="lead_name_id")
    opportunity_name: str | None = Field(None, alias="opportunity_name_id")
    disabled: bool


class ContactFields(StrictIn):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email_id: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    mobile_no: str | None = Field(None, max_length=40)
    designation: str | None = Name
    link_doctype: Literal["Lead", "Customer", "Supplier"] | None = None
    link_name: str | None = Name
    is_primary_contact: bool | None = None


class ContactCreate(ContactFields):
    first_name: str = Field(..., min_length=1, max_length=100)
    allow_duplicate: bool | None = ALLOW_DUPLICATE


class ContactPatch(VersionIn, ContactFields):
    pass


class ContactOut(DocumentOut):
    first_name: str
    last_name: str
    full_name: str
    email_id: str
    phone: str
    mobile_no: str
    designation: str
    link_doctype: str
    link_name: str
    is_primary_contact: bool


# --- merge -------------------------------------------------------------------------------------
class MergeIn(VersionIn):
    """``POST leads|customers|contacts/{name}/merge``: this one goes into ``into``; ``keep``
    names, field by field, whose value the survivor keeps (``this``: the one that goes;
    ``into``, the default: its own). ``version`` (or If-Match) is this one's, as for any
    action; ``into_version`` the survivor's: each checked when sent."""

    into: str = Field(..., min_length=1, max_length=140)
    keep: dict[str, Literal["this", "into"]] = Field(default_factory=dict, max_length=100)
    into_version: int | None = Field(None, ge=1)
