"""The calendar pages: month, week and agenda of the user's own events; an event's page, form
and .ics download; the private feed's address. Times are shown in the user's time zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.accounts.time_zones import user_time_zone
from opportune.activities import access, services
from opportune.activities.calendar import calendar_range, parse_day, parse_view
from opportune.activities.forms import EventForm
from opportune.activities.ical import CONTENT_TYPE, calendar_of, event_download_name, feed_path
from opportune.activities.models import Event
from opportune.activities.references import reference_url
from opportune.core.errors import DomainError, NotFoundError, ValidationError
from opportune.core.pages import apply_service_errors
from opportune.core.slots import NavLink

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


def nav_links(user: Any) -> list[NavLink]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [NavLink("Calendar", reverse("activities:calendar"), ("/calendar/",), 80)]


def in_user_time_zone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Forms read and pages show times in the signed-in user's time zone."""

    @wraps(view)
    def wrapped(request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(user_time_zone(request.user)):
            return view(request, *args, **kwargs)

    return login_required(wrapped)


def _own_event(request: SignedInRequest, event_id: int) -> Event:
    try:
        return access.get_event_for(request.user, event_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc


@in_user_time_zone
def calendar_page(request: SignedInRequest) -> HttpResponse:
    today = timezone.localdate()
    span = calendar_range(
        parse_view(request.GET.get("view")), parse_day(request.GET.get("date"), today)
    )
    start, end = span.bounds(timezone.get_current_timezone())
    events = access.events_visible_to(request.user).filter(starts_on__gte=start, starts_on__lt=end)
    by_day: dict[Any, list[Any]] = defaultdict(list)
    for event in events.order_by("starts_on", "pk"):
        by_day[timezone.localtime(event.starts_on).date()].append(event)
    days = [
        {
            "date": d,
            "events": by_day.get(d, []),
            "other_month": span.view == "month" and d.month != span.day.month,
        }
        for d in span.days()
    ]
    context = {
        "span": span,
        "days": days,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "agenda": [d for d in days if d["events"]],
        "today": today,
        "time_zone": timezone.get_current_timezone_name(),
    }
    partial = request.headers.get("HX-Request") == "true"  # the navigation swaps the body only
    template = "activities/_calendar_body.html" if partial else "activities/calendar.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@in_user_time_zone
def event_new(request: SignedInRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            form.cleaned_data.pop("version")
            event = services.create_event(data=form.cleaned_data, by=request.user)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "The event was added to your calendar.")
            return redirect("activities:event_detail", event.pk)
    return render(request, "activities/event_form.html", {"form": form, "event": None})


@in_user_time_zone
def event_detail(request: SignedInRequest, event_id: int) -> HttpResponse:
    event = _own_event(request, event_id)
    context = {
        "event": event,
        "reference_url": reference_url(event.reference_doctype, event.reference_name),
    }
    return render(request, "activities/event_detail.html", context)


@in_user_time_zone
def event_edit(request: SignedInRequest, event_id: int) -> HttpResponse:
    event = _own_event(request, event_id)
    form = EventForm(request.POST or None)
    form.initial_from(event)
    if request.method == "POST" and form.is_valid():
        try:
            version = form.cleaned_data.pop("version")
            services.update_event(event, data=form.cleaned_data, version=version, by=request.user)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "The event was changed.")
            return redirect("activities:event_detail", event.pk)
    return render(request, "activities/event_form.html", {"form": form, "event": event})


@login_required
@require_POST
def event_delete(request: SignedInRequest, event_id: int) -> HttpResponse:
    event = _own_event(request, event_id)
    try:
        services.delete_event(event, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("activities:event_detail", event.pk)
    messages.success(request, "The event was removed.")
    return redirect("activities:calendar")


@login_required
def event_ics(request: SignedInRequest, event_id: int) -> HttpResponse:
    event = _own_event(request, event_id)
    body = calendar_of([event], base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{event_download_name(event)}"'
    return response


@login_required
def feed_page(request: SignedInRequest) -> HttpResponse:
    token = services.feed_token_of(request.user)
    return render(request, "activities/feed.html", {"feed_url": feed_url(request, token.token)})


@login_required
@require_POST
def feed_regenerate(request: SignedInRequest) -> HttpResponse:
    services.regenerate_feed_token(by=request.user)
    messages.success(request, "Your calendar feed has a new address; the old one no longer works.")
    return redirect("activities:feed")


def feed_url(request: Any, token: str) -> str:
    return request.build_absolute_uri(feed_path(token))


def _add_errors(form: EventForm, exc: DomainError) -> None:
    """A field's problem on its field (core's mapping); a conflict (a stale version, an event
    kept by a document) as the form's own message, which says what to do."""
    if isinstance(exc, ValidationError):
        apply_service_errors(form, exc)
    else:
        form.add_error(None, exc.message)
