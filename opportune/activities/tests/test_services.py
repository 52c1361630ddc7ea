"""The calendar's rules: events by hand (the owner's alone), moves, the digest, the feed token."""

from __future__ import annotations

import datetime as dt

import pytest

from opportune.accounts.services import set_time_zone
from opportune.activities import services
from opportune.activities.models import Event
from opportune.core.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from opportune.notifications.models import Notification

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _event(user, when, subject="Call Ada", **extra) -> Event:
    return services.create_event(
        data={"subject": subject, "starts_on": when, **extra}, by=user, now=NOW
    )


def test_create_event_is_the_users_own_and_reminded_at_its_start(sales):
    when = NOW + dt.timedelta(hours=3)
    event = _event(sales, when, description="About the renewal")
    assert (event.owner, event.subject, event.description) == (
        sales,
        "Call Ada",
        "About the renewal",
    )
    assert (event.starts_on, event.ends_on, event.remind_at, event.reminded_at) == (
        when,
        None,
        when,
        None,
    )
    assert (event.source, event.sequence, event.version) == ("", 0, 1)
    assert event.uid.endswith("@opportune")


def test_a_past_event_has_no_reminder(sales):
    event = _event(sales, NOW - dt.timedelta(days=1))
    assert event.remind_at is None


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"subject": "", "starts_on": NOW}, {"subject": ["Give the event a subject."]}),
        (
            {"subject": "x" * 141, "starts_on": NOW},
            {"subject": ["A subject has at most 140 characters."]},
        ),
        ({"subject": "A"}, {"starts_on": ["Give the event's start."]}),
        (
            {"subject": "A", "starts_on": NOW, "ends_on": NOW - dt.timedelta(minutes=1)},
            {"ends_on": ["An event cannot end before it starts."]},
        ),
        (
            {"subject": "A", "starts_on": "tomorrow"},
            {"starts_on": ["Give a date and time (ISO 8601)."]},
        ),
        (
            {"subject": "A", "starts_on": NOW, "owner": "x"},
            {"owner": ["This field cannot be set."]},
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(sales, data, fields):
    with pytest.raises(ValidationError) as refused:
        services.create_event(data=data, by=sales, now=NOW)
    assert refused.value.fields == fields
    assert Event.objects.count() == 0


def test_moving_bumps_the_sequence_and_rearms_the_reminder(sales):
    event = _event(sales, NOW + dt.timedelta(hours=1))
    assert services.send_due_reminders(now=NOW + dt.timedelta(hours=1)) == 1
    later = NOW + dt.timedelta(days=1)
    moved = services.update_event(
        event, data={"starts_on": later}, version=1, by=sales, now=NOW + dt.timedelta(hours=2)
    )
    assert (moved.starts_on, moved.sequence, moved.version) == (later, 1, 2)
    assert (moved.remind_at, moved.reminded_at) == (later, None)
    assert services.send_due_reminders(now=later) == 1
    keys = list(Notification.objects.order_by("pk").values_list("key", flat=True))
    assert keys == [f"reminder:{event.pk}:0", f"reminder:{event.pk}:1"]


def test_a_new_subject_is_no_move(sales):
    event = _event(sales, NOW + dt.timedelta(hours=1))
    changed = services.update_event(
        event, data={"subject": "Call Bob"}, version=1, by=sales, now=NOW
    )
    assert (changed.subject, changed.sequence, changed.version) == ("Call Bob", 0, 2)


def test_a_stale_version_is_refused(sales):
    event = _event(sales, NOW + dt.timedelta(hours=1))
    services.update_event(event, data={"subject": "B"}, version=1, by=sales, now=NOW)
    with pytest.raises(StaleVersionError):
        services.update_event(event, data={"subject": "C"}, version=1, by=sales, now=NOW)
    event.refresh_from_db()
    assert (event.subject, event.version) == ("B", 2)


def test_another_users_event_cannot_be_changed_or_removed(sales, sales2, manager):
    event = _event(sales, NOW + dt.timedelta(hours=1))
    for user in (sales2, manager):
        with pytest.raises(NotFoundError):
            services.update_event(event, data={"subject": "Mine"}, version=None, by=user, now=NOW)
        with pytest.raises(NotFoundError):
            services.delete_event(event, by=user)
    event.refresh_from_db()
    assert (event.subject, event.version) == ("Call Ada", 1)


def test_an_event_kept_by_a_document_is_changed_there(sales):
    event = services.sync_document_event(
        reference_doctype="Opportunity",
        reference_name="CRM-OPP-2026-00001",
        source="next_contact",
        owner=sales,
        subject="Contact lead Ada",
        description="",
        starts_on=NOW + dt.timedelta(days=1),
        now=NOW,
    )
    assert event is not None
    with pytest.raises(ConflictError) as refused:
        services.delete_event(event, by=sales)
    assert refused.value.fields == {"starts_on": ["kept by its document"]}
    assert Event.objects.filter(pk=event.pk).exists()


def test_sync_document_event_is_one_row_however_often_it_runs(sales):
    args = {
        "reference_doctype": "Opportunity",
        "reference_name": "CRM-OPP-2026-00001",
        "source": "next_contact",
        "owner": sales,
        "subject": "Contact lead Ada",
        "description": "",
        "starts_on": NOW + dt.timedelta(days=1),
        "now": NOW,
    }
    first = services.sync_document_event(**args)
    again = services.sync_document_event(**args)
    assert first is not None and again is not None
    assert (again.pk, again.sequence, again.version) == (first.pk, 0, 1)
    assert Event.objects.count() == 1


def test_a_document_event_already_past_is_not_made(sales):
    made = services.sync_document_event(
        reference_doctype="Opportunity",
        reference_name="CRM-OPP-2026-00001",
        source="next_contact",
        owner=sales,
        subject="S",
        description="",
        starts_on=NOW - dt.timedelta(minutes=1),
        now=NOW,
    )
    assert made is None
    assert Event.objects.count() == 0


def test_an_inactive_owner_gets_no_reminder_and_it_stays_due(sales):
    event = _event(sales, NOW + dt.timedelta(hours=1))
    sales.is_active = False
    sales.save()
    assert services.send_due_reminders(now=NOW + dt.timedelta(hours=2)) == 0
    event.refresh_from_db()
    assert event.reminded_at is None


def test_the_reminder_body_shows_the_users_time_zone(sales):
    set_time_zone(sales, time_zone="Europe/Berlin", by=sales)
    _event(sales, dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC), description="Bring the figures")
    services.send_due_reminders(now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    notification = Notification.objects.get()
    assert notification.body == (
        "Monday 07 December 2026, 10:00 (Europe/Berlin)\n\nBring the figures"
    )


def test_morning_digest_once_per_user_per_day_in_their_time_zone(sales, sales2, manager):
    set_time_zone(sales2, time_zone="Asia/Tokyo", by=sales2)
    # 06:00 UTC on 7 December is 15:00 in Tokyo: Tokyo's 7 December runs 15:00 UTC on the 6th
    # to 15:00 UTC on the 7th.
    _event(sales, dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC), subject="Morning call")
    _event(sales, dt.datetime(2026, 12, 7, 15, 30, tzinfo=UTC), subject="Demo")
    _event(sales, dt.datetime(2026, 12, 8, 9, 0, tzinfo=UTC), subject="Tomorrow")
    _event(sales2, dt.datetime(2026, 12, 6, 23, 0, tzinfo=UTC), subject="Early call")  # 08:00
    _event(sales2, dt.datetime(2026, 12, 7, 16, 0, tzinfo=UTC), subject="Tomorrow in Tokyo")
    assert services.send_morning_digest(now=NOW) == 2
    assert services.send_morning_digest(now=NOW) == 2  # asked again: the keys add nothing
    rows = list(
        Notification.objects.filter(kind="digest")
        .order_by("user__username")
        .values_list("user__username", "subject", "body", "key", "link")
    )
    assert rows == [
        (
            "sales",
            "Your 2 events today, Monday 07 December",
            "09:00  Morning call\n15:30  Demo",
            f"digest:{sales.pk}:2026-12-07",
            "/calendar/?view=agenda&date=2026-12-07",
        ),
        (
            "sales2",
            "Your 1 event today, Monday 07 December",
            "08:00  Early call",
            f"digest:{sales2.pk}:2026-12-07",
            "/calendar/?view=agenda&date=2026-12-07",
        ),
    ]


def test_regenerating_the_feed_token_replaces_it(sales):
    first = services.feed_token_of(sales).token
    assert services.feed_token_of(sales).token == first
    second = services.regenerate_feed_token(by=sales).token
    assert second != first and len(second) >= 40
    assert services.feed_token_of(sales).token == second


def test_the_time_zone_must_be_known(sales):
    with pytest.raises(ValidationError) as refused:
        set_time_zone(sales, time_zone="Mars/Olympus", by=sales)
    assert refused.value.fields == {
        "time_zone": ["'Mars/Olympus' is not a known time zone (e.g. Europe/Berlin)."]
    }
