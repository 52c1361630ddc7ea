"""JSON shapes of the calendar: events (ERPNext's field names) and the feed's address; activities,
their filters and types (API.md ``activities``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from django.db.models import Q, QuerySet
from ninja import Schema
from ninja.filter_schema import FilterLookup
from pydantic import Field, field_validator

from opportune.core.fields import reject_nul
from opportune.core.filters import CommaList, FilterSchema
from opportune.core.schemas import DocumentOut, Resolver, StrictIn, VersionIn, username


class EventOut(Schema):
    id: int
    subject: str
    description: str
    starts_on: datetime
    ends_on: datetime | None
    all_day: bool
    owner: str
    reference_doctype: str
    reference_name: str
    source: str = Field(..., description='What keeps the event: "next_contact", or "" (by hand)')
    remind_at: datetime | None
    reminded_at: datetime | None
    uid: str
    sequence: int
    version: int
    created: datetime
    modified: datetime

    resolve_owner: ClassVar[Resolver] = username("owner")


class EventCreate(StrictIn):
    subject: str = Field(..., min_length=1, max_length=140)
    description: str = ""
    starts_on: datetime
    ends_on: datetime | None = None
    all_day: bool = False


class EventPatch(VersionIn):
    subject: str | None = Field(None, min_length=1, max_length=140)
    description: str | None = None
    starts_on: datetime | None = None
    ends_on: datetime | None = None
    all_day: bool | None = None


class EventFilters(Schema):
    starts_on__gte: datetime | None = None
    starts_on__lte: datetime | None = None
    reference_doctype: str | None = Field(None, max_length=60)
    reference_name: str | None = Field(None, max_length=140)


class FeedOut(Schema):
    url: str = Field(..., description="The absolute address of the user's iCalendar feed")


# --- activities (to-dos) ---------------------------------------------------------------------------
ActivityStatus = Literal["Open", "Done", "Cancelled"]


class ActivityOut(DocumentOut):
    activity_type: str = Field(..., alias="activity_type_id")
    summary: str
    due_date: date
    allocated_to: str
    reference_type: str
    reference_name: str
    notes: str
    status: ActivityStatus
    outcome: str
    completed_on: datetime | None

    resolve_allocated_to: ClassVar[Resolver] = username("allocated_to")


class ActivityFields(StrictIn):
    activity_type: str | None = Field(None, min_length=1, max_length=140)
    summary: str | None = Field(None, min_length=1, max_length=140)
    due_date: date | None = None
    allocated_to: str | None = Field(None, max_length=150, description="A username")
    notes: str | None = Field(None, max_length=10_000)


class ActivityCreate(ActivityFields):
    activity_type: str = Field(..., min_length=1, max_length=140)
    summary: str = Field(..., min_length=1, max_length=140)
    due_date: date
    reference_type: str | None = Field(None, max_length=60, description="Lead, Customer, ...")
    reference_name: str | None = Field(None, max_length=140)


class ActivityPatch(VersionIn, ActivityFields):
    pass


class ActivityDoneIn(VersionIn):
    outcome: str = Field("", max_length=10_000, description="What came of it (on the timeline)")


class ActivityFilters(FilterSchema):
    _no_nul = field_validator("*", mode="before")(reject_nul)

    allocated_to: Annotated[CommaList, FilterLookup("allocated_to__username__in")] = None
    status: Annotated[CommaList, FilterLookup("status__in")] = None
    due_date__lte: Annotated[date | None, FilterLookup("due_date__lte")] = None
    due_date__gte: Annotated[date | None, FilterLookup("due_date__gte")] = None
    reference_type: Annotated[CommaList, FilterLookup("reference_type__in")] = None
    reference_name: Annotated[CommaList, FilterLookup("reference_name__in")] = None
    activity_type: Annotated[CommaList, FilterLookup("activity_type_id__in")] = None


ACTIVITY_ORDERINGS = ("due_date", "modified", "creation", "name")


def search_activities(rows: QuerySet[Any], text: str) -> QuerySet[Any]:
    return rows.filter(Q(summary__icontains=text) | Q(reference_name__icontains=text))


class ActivityTypeOut(Schema):
    name: str
    icon: str


class ActivityTypeCreate(StrictIn):
    name: str = Field(..., min_length=1, max_length=140)
    icon: str = Field("", max_length=40)


class ActivityTypePatch(StrictIn):
    icon: str | None = Field(None, max_length=40)
