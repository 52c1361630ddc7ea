"""The bell on every page, the list, opening and marking read, the profile's email choices."""

from __future__ import annotations

import pytest
from django.test import Client

from opportune.notifications.models import Notification, NotificationSetting
from opportune.notifications.services import Message, notify_many
from opportune.testing import at, client_for

pytestmark = pytest.mark.django_db


def _notes(user, n, *, read=False, link="/crm/opportunities/"):
    notify_many(
        [
            Message(user.pk, "reminder", f"Call {i}", link=link, key=f"{user.pk}:{i}")
            for i in range(n)
        ],
        now=at(2026, 12, 7, 9),
    )
    Notification.objects.filter(user=user).update(read=read)
    return list(Notification.objects.filter(user=user).order_by("pk"))


def test_the_bell_shows_the_unread_count_on_every_page(sales, sales2):
    _notes(sales, 3)
    _notes(sales2, 5)
    Notification.objects.filter(user=sales, subject="Call 0").update(read=True)
    client = client_for(sales)
    for url in ("/", "/crm/opportunities/", "/accounts/profile/", "/notifications/"):
        html = client.get(url).content.decode()
        assert 'aria-label="Notifications: 2 unread"' in html, url
        assert '<span class="bell-count" aria-hidden="true">2</span>' in html, url
    html = client_for(sales2).get("/").content.decode()
    assert 'aria-label="Notifications: 5 unread"' in html


def test_the_bell_counts_up_to_99_plus_and_polls(sales):
    _notes(sales, 120)
    html = client_for(sales).get("/notifications/bell/").content.decode()
    assert 'aria-label="Notifications: 99+ unread"' in html
    assert (
        'hx-get="/notifications/bell/" hx-trigger="every 60s, notifications-changed from:body"'
        in html
    )


def test_no_bell_and_no_count_without_unread(sales):
    html = client_for(sales).get("/").content.decode()
    assert 'aria-label="Notifications: 0 unread"' in html
    assert "bell-count" not in html


def test_the_list_is_the_users_own_newest_first_unread_marked(sales, sales2):
    _notes(sales, 2)
    _notes(sales2, 1)
    Notification.objects.filter(subject="Call 1", user=sales).update(creation=at(2026, 12, 8))
    Notification.objects.filter(subject="Call 0", user=sales).update(read=True)
    response = client_for(sales).get("/notifications/")
    rows = response.context["page"]["results"]
    assert [(n.subject, n.read) for n in rows] == [("Call 1", False), ("Call 0", True)]
    html = response.content.decode()
    assert html.count('class="notification unread"') == 1
    unread = client_for(sales).get("/notifications/?read=0").context["page"]["results"]
    assert [n.subject for n in unread] == ["Call 1"]


def test_the_list_pages_with_a_cursor(sales):
    _notes(sales, 55)
    client = client_for(sales)
    first = client.get("/notifications/").context["page"]
    assert len(first["results"]) == 50 and first["next_cursor"]
    second = client.get(f"/notifications/?cursor={first['next_cursor']}").context["page"]
    assert len(second["results"]) == 5
    assert {n.pk for n in first["results"]}.isdisjoint(n.pk for n in second["results"])


def test_opening_marks_read_and_goes_to_the_link(sales):
    note = _notes(sales, 1, link="/crm/opportunities/CRM-OPP-2026-00001/")[0]
    response = client_for(sales).post(f"/notifications/{note.pk}/open/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/crm/opportunities/CRM-OPP-2026-00001/",
    )
    note.refresh_from_db()
    assert note.read is True


def test_opening_a_link_to_another_site_goes_to_the_list(sales):
    note = _notes(sales, 1, link="https://evil.example/x")[0]
    response = client_for(sales).post(f"/notifications/{note.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_mark_one_read_with_htmx_answers_the_row(sales):
    first, second = _notes(sales, 2)
    response = client_for(sales).post(f"/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert (response.status_code, response["HX-Trigger"]) == (200, "notifications-changed")
    assert f'id="notification-{first.pk}"' in html and "unread" not in html
    assert list(Notification.objects.order_by("pk").values_list("read", flat=True)) == [
        True,
        False,
    ]
    response = client_for(sales).post(f"/notifications/{second.pk}/read/")
    assert response["Location"] == "/notifications/"
    assert not Notification.objects.filter(read=False).exists()


def test_mark_all_read_touches_only_ones_own(sales, sales2):
    _notes(sales, 3)
    _notes(sales2, 2)
    response = client_for(sales).post("/notifications/read-all/", follow=True)
    assert "3 notifications marked read." in response.content.decode()
    assert sorted(Notification.objects.values_list("user__username", "read")) == [
        ("sales", True),
        ("sales", True),
        ("sales", True),
        ("sales2", False),
        ("sales2", False),
    ]


def test_another_users_notification_is_not_found_and_stays_unread(sales, sales2):
    note = _notes(sales2, 1)[0]
    client = client_for(sales)
    for action in ("open", "read"):
        assert client.post(f"/notifications/{note.pk}/{action}/").status_code == 404
    assert client.post("/notifications/999999/read/").status_code == 404
    note.refresh_from_db()
    assert note.read is False


def test_the_profile_shows_and_saves_the_email_choices(sales):
    client = client_for(sales)
    html = client.get("/accounts/profile/").content.decode()
    assert "Email me for:" in html
    assert 'name="email" value="assignment" checked' in html
    assert 'name="email" value="mention">' in html
    response = client.post(
        "/notifications/settings/", {"email": ["mention", "reminder", "unknown"]}, follow=True
    )
    assert "Your email choices are saved." in response.content.decode()
    assert sorted(NotificationSetting.objects.values_list("kind", "email")) == [
        ("assignment", False),
        ("auto_close", False),
        ("digest", False),
        ("mention", True),
        ("reminder", True),
    ]
    html = client.get("/accounts/profile/").content.decode()
    assert 'name="email" value="mention" checked' in html
    assert 'name="email" value="assignment">' in html


def test_pages_ask_to_sign_in(db):
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
