"""Events as iCalendar (RFC 5545): the user's feed and one event's .ics download."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone

from opportune.accounts.time_zones import user_time_zone
from opportune.activities.models import Event
from opportune.activities.services import event_link

if TYPE_CHECKING:
    import icalendar

PRODID = "-//Opportune//Opportune CRM//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def calendar_of(events: Iterable[Event], *, base_url: str, name: str = "") -> bytes:
    """A VCALENDAR of ``events`` (times in UTC; an all-day event as dates in its owner's time
    zone); ``base_url`` ("https://host") makes each event's URL absolute."""
    import icalendar  # here, not at the top: only a feed or a download needs it (small workers)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event, base_url))
    return calendar.to_ical()


def _vevent(event: Event, base_url: str) -> icalendar.Event:
    import icalendar

    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", event.modified.astimezone(UTC))
    vevent.add("created", event.created.astimezone(UTC))
    vevent.add("last-modified", event.modified.astimezone(UTC))
    if event.all_day:
        zone = user_time_zone(event.owner)
        first = timezone.localtime(event.starts_on, zone).date()
        last = timezone.localtime(event.ends_on, zone).date() if event.ends_on else first
        vevent.add("dtstart", first)
        vevent.add("dtend", last + timedelta(days=1))  # DTEND of a DATE is exclusive
    else:
        vevent.add("dtstart", event.starts_on.astimezone(UTC))
        if event.ends_on:
            vevent.add("dtend", event.ends_on.astimezone(UTC))
    vevent.add("summary", event.subject)
    if event.description:
        vevent.add("description", event.description)
    vevent.add("url", base_url + event_link(event))
    vevent.add("sequence", event.sequence)
    return vevent


def event_download_name(event: Event) -> str:
    return f"event-{event.pk}.ics"


def feed_path(token: str) -> str:
    """The path of the private feed read with ``token`` (the API's ``calendar/{token}.ics``)."""
    return reverse("api:calendar_feed_ics", kwargs={"token": token})
