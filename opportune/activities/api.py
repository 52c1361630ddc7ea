"""JSON API of the calendar (API.md ``events``, ``calendar/feed``, ``calendar/{token}.ics``):
each user's own events; the private feed, read with its token alone."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from opportune.activities import access, services
from opportune.activities.ical import CONTENT_TYPE, calendar_of, feed_path
from opportune.activities.models import CalendarFeedToken
from opportune.activities.schemas import EventCreate, EventFilters, EventOut, EventPatch, FeedOut
from opportune.core.api import ApiRequest, ListParams, Page, paginate, version_from
from opportune.core.api_documents import created, no_content, ok, payload_data
from opportune.core.errors import NotFoundError
from opportune.core.schemas import ERRORS, ErrorOut

router = Router(tags=["calendar"])

EVENT_ORDERINGS = ("starts_on", "modified", "created")
FEED_LIMIT = 5000  # the newest events a feed carries
FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@router.get("/events", response={200: Page[EventOut], **ERRORS})
def list_events(request: ApiRequest, filters: Query[EventFilters], params: Query[ListParams]):
    events = access.events_visible_to(request.auth).select_related("owner")
    events = events.filter(**filters.model_dump(exclude_none=True))
    return paginate(
        events,
        params,
        orderings=EVENT_ORDERINGS,
        default="starts_on",
        search=lambda rows, text: rows.filter(subject__icontains=text),
    )


@router.post("/events", response=created(EventOut))
def create_event(request: ApiRequest, payload: EventCreate):
    event = services.create_event(data=payload_data(payload), by=request.auth)
    return Status(201, access.get_event_for(request.auth, event.pk))


@router.get("/events/{id}", response=ok(EventOut))
def get_event(request: ApiRequest, id: int):
    return access.get_event_for(request.auth, id)


@router.patch("/events/{id}", response=ok(EventOut))
def update_event(request: ApiRequest, id: int, payload: EventPatch):
    event = access.get_event_for(request.auth, id)
    version = version_from(request, payload.version)
    services.update_event(event, data=payload_data(payload), version=version, by=request.auth)
    return access.get_event_for(request.auth, id)


@router.delete("/events/{id}", response=no_content())
def delete_event(request: ApiRequest, id: int):
    event = access.get_event_for(request.auth, id)
    services.delete_event(event, version=version_from(request, None), by=request.auth)
    return Status(204, None)


@router.get("/calendar/feed", response=ok(FeedOut))
def get_feed(request: ApiRequest):
    return {"url": _feed_url(request, services.feed_token_of(request.auth).token)}


@router.post("/calendar/feed/regenerate", response=ok(FeedOut))
def regenerate_feed(request: ApiRequest):
    return {"url": _feed_url(request, services.regenerate_feed_token(by=request.auth).token)}


@router.get(
    "/calendar/{token}.ics",
    auth=None,
    url_name="calendar_feed_ics",
    response={200: None, 404: ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "The user's events as iCalendar (RFC 5545)",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
)
def calendar_feed(request: HttpRequest, token: str):
    """The private feed: the token in the address is the only credential."""
    owner = None
    if FEED_TOKEN.fullmatch(token):  # anything else cannot be a token (nor reach the database)
        owner = (
            CalendarFeedToken.objects.filter(token=token, user__is_active=True)
            .select_related("user")
            .first()
        )
    if owner is None:
        raise NotFoundError("No such calendar feed.")
    events = access.events_visible_to(owner.user).select_related("owner", "owner__profile")
    newest = list(events.order_by("-starts_on", "-pk")[:FEED_LIMIT])
    body = calendar_of(
        reversed(newest),
        base_url=request.build_absolute_uri("/").rstrip("/"),
        name=f"Opportune: {owner.user.get_full_name() or owner.user.username}",
    )
    return HttpResponse(body, content_type=CONTENT_TYPE)


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(feed_path(token))
