"""``settings/crm``: read by every staff role, changed by managers with the version read."""

from __future__ import annotations

import pytest

from opportune.crm.models import CRMSettings

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "company_name": "My Company",
    "company_currency": "USD",
    "time_zone": "UTC",
    "close_opportunity_after_days": 15,
    "default_valid_till": None,
    "carry_forward_communication_and_comments": False,
    "auto_creation_of_contact": True,
    "allow_lead_duplication_based_on_emails": False,
    "sales_users_see_all": False,
    "working_hours": {
        day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": [],
    "first_response_target_minutes": None,
    "version": 1,
}


def snapshot():
    return list(CRMSettings.objects.values())


def test_every_staff_role_reads_the_settings(manager, sales, purchaser, api_as):
    for user in (manager, sales, purchaser):
        r = api_as(user).get("settings/crm")
        assert r.status_code == 200
        assert r.json() == DEFAULTS


def test_outsider_and_anonymous(outsider, api_as):
    before = snapshot()
    assert api_as(outsider).get("settings/crm").status_code == 404
    # a write is refused by role before anything is read (docs/decisions/0008)
    assert (
        api_as(outsider).patch("settings/crm", {"version": 1, "company_name": "X"}).status_code
        == 403
    )
    assert api_as(None).get("settings/crm").status_code == 401
    assert api_as(None).patch("settings/crm", {"version": 1}).status_code == 401
    assert snapshot() == before


def test_manager_changes_the_settings(manager, api_as):
    r = api_as(manager).patch(
        "settings/crm",
        {
            "version": 1,
            "company_name": "Analytical Engines",
            "company_currency": "EUR",
            "time_zone": "Europe/Berlin",
            "close_opportunity_after_days": 0,
            "default_valid_till": 30,
            "carry_forward_communication_and_comments": True,
            "auto_creation_of_contact": False,
            "sales_users_see_all": True,
        },
    )
    assert r.status_code == 200, r.content
    assert r.json() == {
        "company_name": "Analytical Engines",
        "company_currency": "EUR",
        "time_zone": "Europe/Berlin",
        "close_opportunity_after_days": 0,
        "default_valid_till": 30,
        "carry_forward_communication_and_comments": True,
        "auto_creation_of_contact": False,
        "allow_lead_duplication_based_on_emails": False,
        "sales_users_see_all": True,
        "working_hours": DEFAULTS["working_hours"],
        "holidays": [],
        "first_response_target_minutes": None,
        "version": 2,
    }
    settings = CRMSettings.load()
    assert (settings.company_currency_id, settings.time_zone, settings.version) == (
        "EUR",
        "Europe/Berlin",
        2,
    )


def test_version_in_if_match_and_null_validity(manager, api_as):
    api = api_as(manager)
    assert (
        api.patch("settings/crm", {"default_valid_till": 10}, headers={"If-Match": '"1"'}).json()[
            "default_valid_till"
        ]
        == 10
    )
    r = api.patch("settings/crm", {"default_valid_till": None}, headers={"If-Match": "2"})
    assert r.status_code == 200
    assert r.json()["default_valid_till"] is None
    assert r.json()["version"] == 3


def test_stale_version_is_409_and_changes_nothing(manager, api_as):
    api = api_as(manager)
    assert api.patch("settings/crm", {"version": 1, "company_name": "First"}).status_code == 200
    before = snapshot()
    r = api.patch("settings/crm", {"version": 1, "company_name": "Second"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    assert r.json()["error"]["fields"] == {"version": ["stale version"]}
    assert "your version 1, current version 2" in r.json()["error"]["message"]
    assert snapshot() == before


def test_sales_user_cannot_change_the_settings(sales, api_as):
    before = snapshot()
    r = api_as(sales).patch("settings/crm", {"version": 1, "company_name": "Mine"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "permission_denied"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"version": 1, "time_zone": "../etc/passwd"}, "time_zone"),
        ({"version": 1, "close_opportunity_after_days": -1}, "close_opportunity_after_days"),
        ({"version": 1, "default_valid_till": -5}, "default_valid_till"),
        ({"version": 1, "company_currency": "QQQ"}, "company_currency"),
        ({"version": 1, "company_currency": "XTS"}, "company_currency"),  # disabled (no minor unit)
        ({"version": 1, "company_name": ""}, "company_name"),
        ({"version": 1, "colour": "blue"}, "colour"),
        ({"company_name": "No version"}, "version"),
    ],
)
def test_bad_input_is_422_and_changes_nothing(manager, api_as, body, field):
    before = snapshot()
    r = api_as(manager).patch("settings/crm", body)
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "validation_error"
    assert list(r.json()["error"]["fields"]) == [field]
    assert snapshot() == before
