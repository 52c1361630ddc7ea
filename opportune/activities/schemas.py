"""JSON shapes of the calendar: events (ERPNext's field names) and the feed's address."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from ninja import Schema
from pydantic import Field

from opportune.core.schemas import Resolver, StrictIn, VersionIn, username


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
