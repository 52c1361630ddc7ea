"""JSON API of the calendar (API.md ``events``, ``calendar/feed``, ``calendar/{token}.ics``):
each user's own events; the private feed, read with its token alone. Activities (API.md
``activities``: the document machinery of core.api_documents, with the ``done`` and ``cancel``
actions) and their types (``activity-types``, a master managers write)."""

# No ``from __future__ import annotations``: ninja reads the views' annotations as classes.

import re

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from opportune.accounts.auth import API_AUTH
from opportune.activities import access, services, todos
from opportune.activities.ical import CONTENT_TYPE, calendar_of, feed_path
from opportune.activities.models import CalendarFeedToken
from opportune.activities.schemas import (
    ACTIVITY_ORDERINGS,
    ActivityCreate,
    ActivityDoneIn,
    ActivityFilters,
    ActivityOut,
    ActivityPatch,
    ActivityTypeCreate,
    ActivityTypeOut,
    ActivityTypePatch,
    EventCreate,
    EventFilters,
    EventOut,
    EventPatch,
    FeedOut,
    search_activities,
)
from opportune.core.api import ApiRequest, ListParams, Page, paginate, version_from
from opportune.core.api_documents import (
    DocumentApi,
    add_document_action,
    add_document_routes,
    created,
    no_content,
    ok,
    payload_data,
)
from opportune.core.errors import NotFoundError
from opportune.core.schemas import ERRORS, ErrorOut, VersionIn
from opportune.masters.api import MasterResource, add_master_routes

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


# --- activities (to-dos) and their types ----------------------------------------------------------
ACTIVITIES = DocumentApi(
    auth=API_AUTH,
    path="activities",
    tag="activities",
    one="activity",
    many="activities",
    module=__name__,
    out=ActivityOut,
    create_in=ActivityCreate,
    patch_in=ActivityPatch,
    filters=ActivityFilters,
    orderings=ACTIVITY_ORDERINGS,
    search=search_activities,
    visible=access.activities_visible_to,
    related=("activity_type", "allocated_to"),
    lookup=access.get_activity_for,
    can_create=access.can_write_activities,
    create=todos.create_activity,
    update=todos.update_activity,
    delete=todos.delete_activity,
)
add_document_routes(router, ACTIVITIES)


def mark_done(request: ApiRequest, name: str, payload: ActivityDoneIn | None = None) -> Model:
    """Done, with its outcome: it goes to its document's timeline."""
    activity = access.get_activity_for(request.auth, name, write=True)
    version = version_from(request, payload.version if payload else None)
    outcome = payload.outcome if payload else ""
    todos.mark_activity_done(activity, outcome=outcome, version=version, by=request.auth)
    return ACTIVITIES.out_for(request.auth, name)


def cancel(request: ApiRequest, name: str, payload: VersionIn | None = None) -> Model:
    activity = access.get_activity_for(request.auth, name, write=True)
    version = version_from(request, payload.version if payload else None)
    todos.cancel_activity(activity, version=version, by=request.auth)
    return ACTIVITIES.out_for(request.auth, name)


add_document_action(router, ACTIVITIES, "done", mark_done, operation="mark_activity_done")
add_document_action(router, ACTIVITIES, "cancel", cancel)

add_master_routes(
    router,
    MasterResource(
        "activity-types",
        todos.ACTIVITY_TYPE,
        ActivityTypeOut,
        ActivityTypeCreate,
        ActivityTypePatch,
    ),
)
