"""The calendar pages: month, week, agenda of the user's own events in their time zone; an
event made, moved and removed from the page; the .ics download; the feed page."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine

from opportune.accounts.models import Profile
from opportune.accounts.services import set_time_zone
from opportune.activities import services
from opportune.activities.models import CalendarFeedToken, Event
from opportune.testing import client_for

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


@pytest.mark.parametrize("view", ["month", "week", "agenda"])
def test_each_view_shows_the_users_events_in_their_time_zone(sales, sales2, view):
    set_time_zone(sales, time_zone="Asia/Kolkata", by=sales)  # UTC+05:30
    _make(sales)
    _make(sales2, "Not mine")
    page = client_for(sales).get("/calendar/", {"view": view, "date": "2026-12-08"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "15:00</span>" in html and "Call Ada" in html
    assert "Not mine" not in html
    assert "Asia/Kolkata" in html


def test_the_month_grid_and_navigation(sales):
    page = client_for(sales).get("/calendar/", {"view": "month", "date": "2026-12-15"})
    html = page.content.decode()
    assert "December 2026" in html
    assert 'href="?view=month&amp;date=2026-11-01"' in html
    assert 'href="?view=month&amp;date=2027-01-01"' in html
    assert html.count('class="cal-day') == 35  # 30 Nov to 3 Jan: five weeks


def test_navigation_by_htmx_answers_the_body_only(sales):
    page = client_for(sales).get("/calendar/", {"view": "week"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert "<html" not in html and "Week of 07 December 2026" in html


@pytest.mark.parametrize("query", [{"date": "nonsense"}, {"view": "<b>"}, {"date": "0001-01-01"}])
def test_a_bad_query_falls_back_to_today(sales, query):
    page = client_for(sales).get("/calendar/", query)
    assert page.status_code == 200
    assert "December 2026" in page.content.decode()


def test_new_event_from_the_page_in_the_users_time_zone(sales):
    set_time_zone(sales, time_zone="Europe/Berlin", by=sales)
    answer = client_for(sales).post(
        "/calendar/events/new/",
        {"subject": "Visit", "starts_on": "2026-12-10T14:00", "description": "Bring samples"},
    )
    event = Event.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/calendar/events/{event.pk}/"
    assert (event.owner, event.subject, event.starts_on) == (
        sales,
        "Visit",
        dt.datetime(2026, 12, 10, 13, 0, tzinfo=UTC),
    )


def test_a_refused_form_writes_nothing(sales):
    answer = client_for(sales).post(
        "/calendar/events/new/",
        {"subject": "Visit", "starts_on": "2026-12-10T14:00", "ends_on": "2026-12-10T13:00"},
    )
    assert answer.status_code == 200
    assert "An event cannot end before it starts." in answer.content.decode()
    assert Event.objects.count() == 0


def test_move_from_the_edit_form(sales):
    event = _make(sales)
    answer = client_for(sales).post(
        f"/calendar/events/{event.pk}/edit/",
        {"subject": "Call Ada", "starts_on": "2026-12-11T08:00"},
    )
    assert answer.status_code == 302
    event.refresh_from_db()
    assert (event.starts_on, event.sequence) == (dt.datetime(2026, 12, 11, 8, 0, tzinfo=UTC), 1)


def test_detail_and_ics_download(sales):
    event = _make(sales, description="Agenda")
    client = client_for(sales)
    page = client.get(f"/calendar/events/{event.pk}/")
    assert page.status_code == 200 and "Download .ics" in page.content.decode()
    ics = client.get(f"/calendar/events/{event.pk}.ics")
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics["Content-Disposition"] == f'attachment; filename="event-{event.pk}.ics"'
    [vevent] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert (str(vevent["UID"]), vevent.decoded("DTSTART"), str(vevent["DESCRIPTION"])) == (
        event.uid,
        WHEN,
        "Agenda",
    )


def test_another_users_event_pages_are_404_and_nothing_changes(sales, sales2):
    event = _make(sales)
    client = client_for(sales2)
    for path in ("", "edit/"):
        assert client.get(f"/calendar/events/{event.pk}/{path}").status_code == 404
    assert client.get(f"/calendar/events/{event.pk}.ics").status_code == 404
    edit = client.post(
        f"/calendar/events/{event.pk}/edit/", {"subject": "X", "starts_on": "2026-12-20T08:00"}
    )
    assert edit.status_code == 404
    assert client.post(f"/calendar/events/{event.pk}/delete/").status_code == 404
    event.refresh_from_db()
    assert (event.subject, event.version) == ("Call Ada", 1)


def test_delete_from_the_page(sales):
    event = _make(sales)
    answer = client_for(sales).post(f"/calendar/events/{event.pk}/delete/")
    assert answer.status_code == 302 and answer["Location"] == "/calendar/"
    assert Event.objects.count() == 0


def test_feed_page_and_regenerate(sales):
    client = client_for(sales)
    html = client.get("/calendar/feed/").content.decode()
    token = CalendarFeedToken.objects.get(user=sales).token
    assert f"http://testserver/api/v1/calendar/{token}.ics" in html
    assert client.post("/calendar/feed/regenerate/").status_code == 302
    assert CalendarFeedToken.objects.get(user=sales).token != token


def test_profile_time_zone(sales):
    client = client_for(sales)
    assert "Times are shown in UTC." in client.get("/accounts/profile/").content.decode()
    assert (
        client.post("/accounts/profile/time-zone/", {"time_zone": "Europe/Paris"}).status_code
        == 302
    )
    assert Profile.objects.get(user=sales).time_zone == "Europe/Paris"
    assert "Times are shown in Europe/Paris." in client.get("/accounts/profile/").content.decode()
    client.post("/accounts/profile/time-zone/", {"time_zone": "Nowhere/Land"})
    assert Profile.objects.get(user=sales).time_zone == "Europe/Paris"
    client.post("/accounts/profile/time-zone/", {"time_zone": ""})
    assert Profile.objects.get(user=sales).time_zone == ""


def test_calendar_in_the_navigation(sales):
    assert 'href="/calendar/"' in client_for(sales).get("/").content.decode()


def test_a_stale_edit_form_is_refused_and_changes_nothing(sales):
    """The form carries the version it was read at: a change made meanwhile (another tab, the
    API) is not overwritten."""
    event = _make(sales)
    client = client_for(sales)
    form = client.get(f"/calendar/events/{event.pk}/edit/")
    assert 'name="version" value="1"' in form.content.decode()
    services.update_event(event, data={"subject": "Call Ada at 9"}, version=1, by=sales)

    answer = client.post(
        f"/calendar/events/{event.pk}/edit/",
        {"subject": "Call Ada", "starts_on": "2026-12-11T08:00", "version": "1"},
    )

    assert answer.status_code == 200
    assert "changed by someone else" in answer.content.decode()
    event.refresh_from_db()
    assert (event.subject, event.starts_on, event.version) == ("Call Ada at 9", WHEN, 2)
