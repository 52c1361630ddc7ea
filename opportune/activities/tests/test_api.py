"""API.md ``events``, ``calendar/feed`` and ``calendar/{token}.ics``: each user's own events;
the feed read back with the icalendar parser, field by field."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine

from opportune.activities import services
from opportune.activities.models import Event
from opportune.testing import make_opportunity

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
WHEN = dt.datetime(2026, 12, 8, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _make(user, subject="Call Ada", when=WHEN, **extra) -> Event:
    return services.create_event(data={"subject": subject, "starts_on": when, **extra}, by=user)


def test_create_get_patch_delete(api_as, sales):
    api = api_as(sales)
    made = api.post(
        "events",
        {"subject": "Call Ada", "starts_on": "2026-12-08T10:30:00+01:00", "description": "Hi"},
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    event = Event.objects.get()
    assert body == {
        "id": event.pk,
        "subject": "Call Ada",
        "description": "Hi",
        "starts_on": "2026-12-08T09:30:00Z",
        "ends_on": None,
        "all_day": False,
        "owner": "sales",
        "reference_doctype": "",
        "reference_name": "",
        "source": "",
        "remind_at": "2026-12-08T09:30:00Z",
        "reminded_at": None,
        "uid": event.uid,
        "sequence": 0,
        "version": 1,
        "created": "2026-12-07T06:00:00Z",
        "modified": "2026-12-07T06:00:00Z",
    }
    assert api.get(f"events/{event.pk}").json() == body
    moved = api.patch(f"events/{event.pk}", {"starts_on": "2026-12-09T09:30:00Z", "version": 1})
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["starts_on"], moved.json()["sequence"], moved.json()["version"]) == (
        "2026-12-09T09:30:00Z",
        1,
        2,
    )
    stale = api.patch(f"events/{event.pk}", {"subject": "X"}, headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert api.delete(f"events/{event.pk}").status_code == 204
    assert Event.objects.count() == 0


def test_list_filters_on_the_start(api_as, sales, sales2):
    early = _make(sales, "Early", WHEN)
    late = _make(sales, "Late", WHEN + dt.timedelta(days=5))
    _make(sales2, "Not mine", WHEN)
    api = api_as(sales)
    assert [r["subject"] for r in api.get("events").json()["results"]] == ["Early", "Late"]
    after = api.get("events", starts_on__gte="2026-12-10T00:00:00Z").json()
    assert [r["id"] for r in after["results"]] == [late.pk]
    before = api.get("events", starts_on__lte="2026-12-10T00:00:00Z").json()
    assert [r["id"] for r in before["results"]] == [early.pk]
    page = api.get("events", limit=1).json()
    assert page["next_cursor"] is not None
    second = api.get("events", limit=1, cursor=page["next_cursor"]).json()
    assert [r["id"] for r in second["results"]] == [late.pk]


def test_another_users_event_is_404_and_unchanged(api_as, sales, sales2, manager):
    event = _make(sales)
    for user in (sales2, manager):
        api = api_as(user)
        assert api.get(f"events/{event.pk}").status_code == 404
        assert api.patch(f"events/{event.pk}", {"subject": "Mine"}).status_code == 404
        assert api.delete(f"events/{event.pk}").status_code == 404
    event.refresh_from_db()
    assert (event.subject, event.version) == ("Call Ada", 1)


def test_bad_input_names_the_field(api_as, sales):
    api = api_as(sales)
    answer = api.post(
        "events", {"subject": "A", "starts_on": WHEN.isoformat(), "ends_on": "2026-12-01T00:00Z"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {
        "ends_on": ["An event cannot end before it starts."]
    }
    unknown = api.post("events", {"subject": "A", "starts_on": WHEN.isoformat(), "owner": "x"})
    assert unknown.status_code == 422
    assert Event.objects.count() == 0


def test_a_next_contact_event_cannot_be_moved_from_the_calendar(api_as, sales):
    opp = make_opportunity(sales, contact_by="sales", contact_date=WHEN)
    event = Event.objects.get(reference_name=opp.name)
    answer = api_as(sales).patch(f"events/{event.pk}", {"starts_on": "2026-12-20T09:00:00Z"})
    assert answer.status_code == 409
    event.refresh_from_db()
    assert (event.starts_on, event.sequence) == (WHEN, 0)


def test_feed_url_and_regenerate(api_as, sales):
    api = api_as(sales)
    url = api.get("calendar/feed").json()["url"]
    token = services.feed_token_of(sales).token
    assert url == f"http://testserver/api/v1/calendar/{token}.ics"
    renewed = api.post("calendar/feed/regenerate").json()["url"]
    assert renewed != url
    assert api.get("calendar/feed").json()["url"] == renewed
    anonymous = api_as(None)
    assert anonymous.get(url.removeprefix("http://testserver")).status_code == 404
    assert anonymous.get(renewed.removeprefix("http://testserver")).status_code == 200


def test_feed_needs_no_other_auth_and_parses_back_field_by_field(api_as, sales, sales2):
    opp = make_opportunity(sales, contact_by="sales", contact_date=WHEN, to_discuss="Renewal")
    own = _make(
        sales, "Lunch", WHEN + dt.timedelta(days=1), ends_on=WHEN + dt.timedelta(days=1, hours=1)
    )
    _make(sales2, "Someone else's")
    token = services.feed_token_of(sales).token
    answer = api_as(None).get(f"/api/v1/calendar/{token}.ics")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == (
        "2.0",
        "-//Opportune//Opportune CRM//EN",
    )
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Contact customer Babbage Ltd", "Lunch"]
    contact, lunch = events
    next_contact = Event.objects.get(reference_name=opp.name)
    assert str(contact["UID"]) == next_contact.uid
    assert contact.decoded("DTSTART") == WHEN
    assert contact.decoded("DTSTART").tzinfo is not None
    assert "DTEND" not in contact
    assert contact.decoded("DTSTAMP") == NOW
    assert contact.decoded("SEQUENCE") == 0
    assert str(contact["URL"]) == f"http://testserver/crm/opportunities/{opp.name}/"
    assert str(contact["DESCRIPTION"]) == (
        f"Contact customer Babbage Ltd ({opp.name}). By: sales.\nTo discuss: Renewal"
    )
    assert str(lunch["UID"]) == own.uid
    assert lunch.decoded("DTEND") == WHEN + dt.timedelta(days=1, hours=1)
    assert str(lunch["URL"]) == f"http://testserver/calendar/events/{own.pk}/"


def test_an_all_day_event_is_dates(api_as, sales):
    _make(sales, "Trade fair", WHEN, all_day=True)
    token = services.feed_token_of(sales).token
    calendar = icalendar.Calendar.from_ical(
        api_as(None).get(f"/api/v1/calendar/{token}.ics").content
    )
    [event] = calendar.walk("VEVENT")
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        dt.date(2026, 12, 8),
        dt.date(2026, 12, 9),
    )


@pytest.mark.parametrize("token", ["nope", "x" * 300, "%00", "%00" * 30, "a" * 43])
def test_an_unknown_or_hostile_token_is_404(api_as, sales, token):
    services.feed_token_of(sales)
    assert api_as(None).get(f"/api/v1/calendar/{token}.ics").status_code == 404


def test_an_inactive_users_feed_is_404(api_as, sales):
    token = services.feed_token_of(sales).token
    sales.is_active = False
    sales.save()
    assert api_as(None).get(f"/api/v1/calendar/{token}.ics").status_code == 404


def test_feed_operations_need_a_user(api_as):
    assert api_as(None).get("calendar/feed").status_code == 401
    assert api_as(None).post("calendar/feed/regenerate").status_code == 401
    assert api_as(None).get("events").status_code == 401
