"""Opportunities waiting past the first-response target (business minutes, CRM Settings): the
list filter (page and API share it, one SQL condition), the badge on the list and the home
page's section."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opportune.core.business_hours import WEEKDAYS
from opportune.crm import services as crm
from opportune.crm.models import CRMSettings, Opportunity
from opportune.crm.services.first_response import record_first_response
from opportune.testing import PASSWORD

pytestmark = pytest.mark.django_db

ROUND_THE_CLOCK = {day: [{"start": "00:00", "end": "24:00"}] for day in WEEKDAYS}


@pytest.fixture
def world(sales):
    """Five opportunities of ``sales``; with a 60-minute target on a round-the-clock schedule
    (business minutes are wall minutes, whatever day the tests run) only ``late`` is overdue."""
    CRMSettings.objects.filter(pk=1).update(
        working_hours=ROUND_THE_CLOCK, first_response_target_minutes=60
    )
    customer = crm.create_customer(data={"customer_name": "Babbage Ltd"}, by=sales)
    now = timezone.now()

    def opp(title: str, age: timedelta) -> Opportunity:
        return crm.create_opportunity(
            data={
                "opportunity_from": "Customer",
                "party_name": customer.name,
                "title": title,
                "opportunity_owner": "sales",
            },
            by=sales,
            now=now - age,
        )

    late = opp("Late", timedelta(hours=2))
    fresh = opp("Fresh", timedelta(minutes=30))
    answered = opp("Answered", timedelta(hours=3))
    record_first_response(answered, at=now - timedelta(hours=2), by=sales)
    replied = opp("Replied", timedelta(hours=3))
    crm.set_opportunity_status(replied, status="Replied", version=replied.version, by=sales)
    return {"late": late, "fresh": fresh, "answered": answered, "replied": replied}


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_api_filter(world, sales, api_as):
    api = api_as(sales)
    assert names(api.get("opportunities", overdue_first_response="1")) == {world["late"].name}
    others = names(api.get("opportunities", overdue_first_response="0"))
    assert others == {o.name for k, o in world.items() if k != "late"}
    assert api.get("opportunities", overdue_first_response="soon").status_code == 422


def test_without_a_target_none_is_overdue(world, sales, api_as):
    CRMSettings.objects.filter(pk=1).update(first_response_target_minutes=None)
    api = api_as(sales)
    assert names(api.get("opportunities", overdue_first_response="1")) == set()
    assert len(names(api.get("opportunities", overdue_first_response="0"))) == 4


def test_the_filter_is_one_condition_in_sql(world, sales, api_as):
    api = api_as(sales)
    api.get("opportunities")  # the token's first use is written once
    with CaptureQueriesContext(connection) as plain:
        api.get("opportunities")
    with CaptureQueriesContext(connection) as filtered:
        api.get("opportunities", overdue_first_response="1")
    assert len(filtered) == len(plain)
    listing = next(q["sql"] for q in filtered.captured_queries if "first_responded_on" in q["sql"])
    assert '"creation" <' in listing


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_list_page_badge_and_filter(world, sales):
    client = _client(sales)
    page = client.get("/crm/opportunities/").content.decode()
    assert page.count("Awaiting reply</span>") == 1
    only = client.get("/crm/opportunities/", {"overdue_first_response": "1"}).content.decode()
    assert "Late" in only and "Fresh" not in only
    assert 'name="overdue_first_response" value="1"' in only
    assert "checked> Only those awaiting a reply" in only


def test_home_page_section(world, sales):
    page = _client(sales).get("/").content.decode()
    assert "Awaiting a first reply" in page
    section = page.split('id="awaiting-h"')[1].split("</section>")[0]
    assert "Late" in section and "Fresh" not in section and "Answered" not in section
    assert "2.0 h" in section


def test_home_page_section_hidden_without_target(world, sales):
    CRMSettings.objects.filter(pk=1).update(first_response_target_minutes=None)
    assert "Awaiting a first reply" not in _client(sales).get("/").content.decode()


def test_others_opportunities_stay_hidden(world, sales2, api_as):
    # record rules (decision 0008): a sales user sees only their own unless settings say all
    assert names(api_as(sales2).get("opportunities", overdue_first_response="1")) == set()
    page = _client(sales2).get("/").content.decode()
    section = page.split('id="awaiting-h"')[1].split("</section>")[0]
    assert "Every open opportunity was answered" in section
    assert world["late"].name not in page


def test_opportunity_page_shows_the_first_response_or_the_wait(world, sales):
    client = _client(sales)
    late = client.get(f"/crm/opportunities/{world['late'].name}/").content.decode()
    first = late.split('id="first-response"')[1].split("</dd>")[0]
    assert "Not yet" in first and "Awaiting reply" in first
    fresh = client.get(f"/crm/opportunities/{world['fresh'].name}/").content.decode()
    assert "Awaiting reply" not in fresh.split('id="first-response"')[1].split("</dd>")[0]
    answered = client.get(f"/crm/opportunities/{world['answered'].name}/").content.decode()
    first = answered.split('id="first-response"')[1].split("</dd>")[0]
    assert "after 60.00 min (60.00 business min)" in first
