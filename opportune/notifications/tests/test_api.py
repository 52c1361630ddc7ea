"""The notifications API: the user's own list, mark read, the email choices."""

from __future__ import annotations

import pytest

from opportune.notifications.models import Notification, NotificationSetting
from opportune.notifications.services import Message, notify_many
from opportune.testing import ApiClient, at

pytestmark = pytest.mark.django_db


def _notes(user, n):
    notify_many(
        [
            Message(
                user.pk,
                "assignment",
                f"Deal {i}",
                link=f"/crm/opportunities/D{i}/",
                reference_type="Opportunity",
                reference_name=f"D{i}",
                key=f"{user.pk}:{i}",
            )
            for i in range(n)
        ],
        now=at(2026, 12, 7, 9),
    )
    return list(Notification.objects.filter(user=user).order_by("pk"))


def test_the_list_is_ones_own_filtered_and_paged(sales, sales2):
    first, second, third = _notes(sales, 3)
    _notes(sales2, 2)
    Notification.objects.filter(pk=first.pk).update(read=True)
    api = ApiClient(sales)
    body = api.get("notifications", with_count=1, limit=2).json()
    assert body["count"] == 3
    assert [r["subject"] for r in body["results"]] == ["Deal 2", "Deal 1"]
    assert body["results"][0] == {
        "id": third.pk,
        "kind": "assignment",
        "subject": "Deal 2",
        "body": "",
        "link": "/crm/opportunities/D2/",
        "reference_type": "Opportunity",
        "reference_name": "D2",
        "read": False,
        "creation": "2026-12-07T09:00:00Z",
    }
    rest = api.get("notifications", limit=2, cursor=body["next_cursor"]).json()
    assert ([r["subject"] for r in rest["results"]], rest["next_cursor"]) == (["Deal 0"], None)
    unread = api.get("notifications", read=0).json()["results"]
    assert [r["id"] for r in unread] == [third.pk, second.pk]
    read = api.get("notifications", read=1).json()["results"]
    assert [r["id"] for r in read] == [first.pk]


def test_bad_filters_are_named(sales):
    api = ApiClient(sales)
    response = api.get("notifications", read="maybe")
    assert response.status_code == 422 and "read" in response.json()["error"]["fields"]
    response = api.get("notifications", ordering="subject")
    assert response.status_code == 422 and "ordering" in response.json()["error"]["fields"]


def test_mark_one_and_all_read(sales, sales2):
    first, _second = _notes(sales, 2)
    _notes(sales2, 1)
    api = ApiClient(sales)
    response = api.post(f"notifications/{first.pk}/mark-read")
    assert (response.status_code, response.json()["read"]) == (200, True)
    assert api.post("notifications/mark-all-read").json() == {"marked": 1}
    assert api.post("notifications/mark-all-read").json() == {"marked": 0}
    assert sorted(Notification.objects.values_list("user__username", "read")) == [
        ("sales", True),
        ("sales", True),
        ("sales2", False),
    ]


def test_another_users_notification_answers_404_and_changes_nothing(sales, sales2):
    theirs = _notes(sales2, 1)[0]
    response = ApiClient(sales).post(f"notifications/{theirs.pk}/mark-read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read is False


def test_the_email_choices(sales):
    api = ApiClient(sales)
    assert api.get("notifications/settings").json() == {
        "email": {
            "assignment": True,
            "reminder": True,
            "mention": False,
            "auto_close": False,
            "digest": False,
        }
    }
    response = api.patch("notifications/settings", {"email": {"mention": True, "reminder": False}})
    assert response.status_code == 200
    assert response.json()["email"] == {
        "assignment": True,
        "reminder": False,
        "mention": True,
        "auto_close": False,
        "digest": False,
    }
    assert sorted(NotificationSetting.objects.values_list("kind", "email")) == [
        ("mention", True),
        ("reminder", False),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": {"gossip": True}}, "email.gossip"),
        ({"email": {"mention": "perhaps"}}, "email.mention"),
        ({"sms": {}}, "sms"),
        ({}, "email"),
    ],
)
def test_bad_email_choices_are_refused_naming_the_field(sales, body, field):
    response = ApiClient(sales).patch("notifications/settings", body)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert not NotificationSetting.objects.exists()


def test_anonymous_gets_401(db):
    assert ApiClient(None).get("notifications").status_code == 401
