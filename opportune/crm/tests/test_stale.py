"""Stale deals (Odoo's rotting): an Open or Replied opportunity whose stage has
``stale_after_days`` and that was not changed for longer is stale, with its days, on the list
(filter and badge), the board, the home page and the API filter."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from opportune.crm import services as crm
from opportune.crm.models import Opportunity, SalesStage
from opportune.crm.stale import is_stale, with_stale_days
from opportune.testing import at, client_for, make_customer, make_opportunity

S = Opportunity.Status
NOW = at(2026, 12, 6, 9)


def made(by, *, days_ago: float, stage: str | None = "Prospecting", status: str = S.OPEN):
    """An opportunity last changed ``days_ago`` days before NOW (the clock moved there)."""
    with time_machine.travel(NOW - dt.timedelta(days=days_ago), tick=False):
        party = make_customer(by, customer_name=f"Party {Opportunity.objects.count()}")
        opp = make_opportunity(by, party, sales_stage=stage, title=f"Deal {days_ago}")
        if status != S.OPEN:
            opp = crm.set_opportunity_status(opp, status=status, version=opp.version, by=by)
    return opp


@pytest.fixture
def deals(sales):
    SalesStage.objects.filter(pk="Prospecting").update(stale_after_days=10)
    return {
        "stale": made(sales, days_ago=12.125),  # 12 days 3 hours
        "replied": made(sales, days_ago=30.5, status=S.REPLIED),
        "boundary": made(sales, days_ago=10),  # exactly 10 days: not longer
        "fresh": made(sales, days_ago=9),
        "no_days": made(sales, days_ago=40, stage="Qualification"),
        "no_stage": made(sales, days_ago=40, stage=None),
        "closed": made(sales, days_ago=40, status=S.CLOSED),
    }


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def stale_days() -> dict[str, int | None]:
    rows = with_stale_days(Opportunity.objects.all(), NOW)
    return dict(rows.values_list("title", "stale_days"))  # type: ignore[misc]


def test_days_are_computed_in_the_query(deals):
    assert stale_days() == {
        "Deal 12.125": 12,
        "Deal 30.5": 30,
        "Deal 10": None,
        "Deal 9": None,
        "Deal 40": None,  # no days on its stage, no stage, or closed
    }
    stale = Opportunity.objects.filter(is_stale(NOW)).values_list("name", flat=True)
    assert set(stale) == {deals["stale"].name, deals["replied"].name}


def test_a_change_makes_it_fresh_again(deals, sales):
    opp = deals["stale"]
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        crm.update_opportunity(opp, data={"to_discuss": "Call"}, version=opp.version, by=sales)
    assert not Opportunity.objects.filter(is_stale(NOW), pk=opp.name).exists()


def test_api_filter(deals, sales, api_as, clock):
    api = api_as(sales)
    r = api.get("opportunities", stale=1, fields="name")
    assert r.status_code == 200
    assert {row["name"] for row in r.json()["results"]} == {
        deals["stale"].name,
        deals["replied"].name,
    }
    r = api.get("opportunities", stale=0, fields="name")
    assert {row["name"] for row in r.json()["results"]} == {
        o.name for k, o in deals.items() if k not in ("stale", "replied")
    }


def test_list_page_filter_and_badge(deals, sales, clock):
    page = client_for(sales).get(reverse("crm:opportunity_list"), {"stale": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert [o.title for o in page.context["page"]["results"]] == ["Deal 12.125", "Deal 30.5"]
    assert html.count('class="badge badge-stale"') == 2
    assert ">Stale 12 d</span>" in html and ">Stale 30 d</span>" in html
    assert 'name="stale" value="1" aria-describedby="stale-label" checked' in html

    everything = client_for(sales).get(reverse("crm:opportunity_list")).content.decode()
    assert everything.count('class="badge badge-stale"') == 2


def test_board_cards_show_the_badge(deals, sales, clock):
    page = client_for(sales).get(reverse("crm:opportunity_board"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(">Stale 12 d</span>") == 1
    assert html.count(">Stale 30 d</span>") == 1
    assert html.count('class="badge badge-stale"') == 2


def test_home_page_lists_the_users_stale_deals(deals, sales, sales2, clock):
    html = client_for(sales).get("/").content.decode()
    section = html[html.index('id="stale-h"') :]
    section = section[: section.index("</section>")]
    assert section.index("Deal 30.5") < section.index("Deal 12.125")  # longest untouched first
    assert "Stale 30 d" in section and "Stale 12 d" in section
    assert "Deal 9" not in section and "Deal 40" not in section

    other = client_for(sales2).get("/").content.decode()  # sees none of sales' deals
    assert "No stale deals" in other and "Deal 12.125" not in other


def test_sales_stage_days_through_the_api(manager, api_as):
    api = api_as(manager)
    r = api.patch("sales-stages/Qualification", {"stale_after_days": 14})
    assert r.status_code == 200, r.content
    assert r.json()["stale_after_days"] == 14
    assert SalesStage.objects.get(pk="Qualification").stale_after_days == 14

    r = api.patch("sales-stages/Qualification", {"stale_after_days": -3})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["stale_after_days"]
    assert SalesStage.objects.get(pk="Qualification").stale_after_days == 14

    r = api.patch("sales-stages/Qualification", {"stale_after_days": None})
    assert r.status_code == 200
    assert SalesStage.objects.get(pk="Qualification").stale_after_days is None


def test_sales_stage_days_in_the_admin(admin_client):
    url = reverse("admin:crm_salesstage_change", args=["Prospecting"])
    form = {"idx": 1, "probability": "10", "stale_after_days": "0"}
    r = admin_client.post(url, form)
    assert r.status_code == 200  # the form again, with the error
    assert r.context["adminform"].form.errors == {
        "stale_after_days": ["Ensure this value is greater than or equal to 1."]
    }
    assert SalesStage.objects.get(pk="Prospecting").stale_after_days is None

    r = admin_client.post(url, {**form, "stale_after_days": "21"})
    assert r.status_code == 302
    assert SalesStage.objects.get(pk="Prospecting").stale_after_days == 21
