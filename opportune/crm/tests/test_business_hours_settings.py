"""Working hours, holidays and the first-response target in CRM Settings: the API
(``settings/crm``) and the admin page read and check them strictly; history keeps them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opportune.crm.models import CRMSettings

pytestmark = pytest.mark.django_db

WEEK = {
    "mon": [{"start": "13:00", "end": "17:30"}, {"start": "08:30", "end": "12:00"}],
    "tue": [{"start": "08:30", "end": "17:30"}],
    "sat": None,
}
HOLIDAYS = [
    {"date": "2026-12-26", "description": "Boxing Day"},
    {"date": "2026-12-25", "description": "Christmas Day"},
]


def snapshot():
    return list(CRMSettings.objects.values())


def test_manager_sets_hours_holidays_and_target(manager, api_as):
    r = api_as(manager).patch(
        "settings/crm",
        {
            "version": 1,
            "time_zone": "Europe/Berlin",
            "working_hours": WEEK,
            "holidays": HOLIDAYS,
            "first_response_target_minutes": 240,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    # stored canonical: weekday order, intervals sorted, days without work left out
    assert body["working_hours"] == {
        "mon": [{"start": "08:30", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
        "tue": [{"start": "08:30", "end": "17:30"}],
    }
    assert body["holidays"] == [
        {"date": "2026-12-25", "description": "Christmas Day"},
        {"date": "2026-12-26", "description": "Boxing Day"},
    ]
    assert body["first_response_target_minutes"] == 240
    settings = CRMSettings.load()
    schedule = settings.business_schedule()
    assert schedule.hours[0] == ((510, 720), (780, 1050))
    assert str(schedule.zone) == "Europe/Berlin"
    # history keeps the change (the audit page reads it)
    record = settings.history.order_by("-history_id").first()
    assert record.working_hours == body["working_hours"]
    assert record.history_user == manager
    assert api_as(manager).get("settings/crm").json()["holidays"] == body["holidays"]


def test_target_can_be_cleared(manager, api_as):
    api = api_as(manager)
    assert (
        api.patch("settings/crm", {"version": 1, "first_response_target_minutes": 30}).json()[
            "first_response_target_minutes"
        ]
        == 30
    )
    r = api.patch("settings/crm", {"version": 2, "first_response_target_minutes": None})
    assert r.json()["first_response_target_minutes"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"working_hours": {"funday": []}}, "working_hours.funday"),
        (
            {"working_hours": {"mon": [{"start": "17:00", "end": "09:00"}]}},
            "working_hours.mon[0].end",
        ),
        (
            {"working_hours": {"mon": [{"start": "25:00", "end": "26:00"}]}},
            "working_hours.mon[0].start",
        ),
        (
            {"working_hours": {"mon": [{"start": "9am", "end": "17:00"}]}},
            "working_hours.mon[0].start",
        ),
        (
            {"working_hours": {"mon": [{"start": "09:00", "end": "24:30"}]}},
            "working_hours.mon[0].end",
        ),
        (
            {
                "working_hours": {
                    "wed": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}]
                }
            },
            "working_hours.wed",
        ),
        ({"working_hours": {"mon": [{"start": "09:00"}]}}, "working_hours.mon[0].end"),
        ({"working_hours": {"mon": [{"start": "09:00", "end": "10:00"}] * 7}}, "working_hours.mon"),
        ({"working_hours": None}, "working_hours"),
        ({"working_hours": "9 to 5"}, "working_hours"),
        ({"holidays": [{"date": "2026-02-30", "description": "x"}]}, "holidays[0].date"),
        ({"holidays": [{"date": "2026-13-01"}]}, "holidays[0].date"),
        ({"holidays": [{"date": "25.12.2026"}]}, "holidays[0].date"),
        ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25"}]}, "holidays[1].date"),
        (
            {"holidays": [{"date": "2026-12-25", "description": "x" * 141}]},
            "holidays[0].description",
        ),
        ({"holidays": [{"date": "2026-12-25", "colour": "red"}]}, "holidays[0].colour"),
        ({"holidays": None}, "holidays"),
        ({"first_response_target_minutes": -1}, "first_response_target_minutes"),
        ({"first_response_target_minutes": "soon"}, "first_response_target_minutes"),
        (
            {"working_hours": {}, "first_response_target_minutes": 60},
            "first_response_target_minutes",
        ),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(manager, api_as, body, field):
    before = snapshot()
    r = api_as(manager).patch("settings/crm", {"version": 1, **body})
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "validation_error"
    assert field in r.json()["error"]["fields"], r.json()
    assert snapshot() == before


def test_sales_user_cannot_change_the_hours(sales, api_as):
    before = snapshot()
    r = api_as(sales).patch("settings/crm", {"version": 1, "working_hours": {}})
    assert r.status_code == 403
    assert snapshot() == before


# --- the admin page (the CRM Settings page of managers) ----------------------------------------
def _admin_form(settings: CRMSettings, **changes) -> dict:
    data = {
        "company_name": settings.company_name,
        "company_currency": settings.company_currency_id,
        "time_zone": settings.time_zone,
        "close_opportunity_after_days": settings.close_opportunity_after_days,
        "default_valid_till": "",
        "auto_creation_of_contact": "on",
        "working_hours": '{"mon": [{"start": "09:00", "end": "17:00"}]}',
        "holidays": "[]",
        "first_response_target_minutes": "",
    }
    data.update(changes)
    return data


def test_admin_edits_the_hours_strictly(admin_client):
    settings = CRMSettings.load()
    url = reverse("admin:crm_crmsettings_change", args=[settings.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b"working_hours" in page.content
    bad = admin_client.post(
        url, _admin_form(settings, working_hours='{"mon": [{"start": "17:00", "end": "09:00"}]}')
    )
    assert bad.status_code == 200
    assert b"working_hours.mon[0].end" in bad.content
    bad = admin_client.post(url, _admin_form(settings, holidays='[{"date": "2026-02-30"}]'))
    assert b"holidays[0].date" in bad.content
    assert CRMSettings.load().working_hours == settings.working_hours
    good = admin_client.post(
        url,
        _admin_form(
            settings,
            holidays='[{"date": "2026-12-25", "description": "Christmas Day"}]',
            first_response_target_minutes="120",
        ),
    )
    assert good.status_code == 302, good.content
    saved = CRMSettings.load()
    assert saved.working_hours == {"mon": [{"start": "09:00", "end": "17:00"}]}
    assert saved.holidays == [{"date": "2026-12-25", "description": "Christmas Day"}]
    assert saved.first_response_target_minutes == 120
