"""Record rules (docs/decisions/0008-record-rules.md): a sales user sees and changes the leads and
opportunities they created, own, are to contact or are assigned, or all of them with the CRM
setting ``sales_users_see_all``; managers see all; purchase users read opportunities only."""

from __future__ import annotations

import pytest

from opportune.accounts.roles import SYSTEM_MANAGER
from opportune.automation.models import Assignment
from opportune.automation.services import assign, close_assignment
from opportune.core.models import Comment
from opportune.crm import access
from opportune.crm import services as crm
from opportune.crm.models import Contact, CRMSettings
from opportune.crm.tests.helpers import opportunity_state, row_counts
from opportune.selling import services as selling
from opportune.selling.models import Quotation
from opportune.testing import (
    client_for,
    make_customer,
    make_item,
    make_lead,
    make_opportunity,
    make_user,
)

pytestmark = pytest.mark.django_db


def see_all(on: bool) -> None:
    CRMSettings.objects.filter(pk=1).update(sales_users_see_all=on)


@pytest.fixture
def deal(sales):
    make_item("W1", rate="10")
    return make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}], title="Sam's deal")


# --- the scenario of the issue: a colleague's deal ------------------------------------------
def test_a_second_sales_user_cannot_reach_a_colleagues_deal(deal, sales2, api_as):
    before, counts = opportunity_state(deal.name), row_counts()
    comments = Comment.objects.count()
    api = api_as(sales2)
    path = f"opportunities/{deal.name}"
    assert api.get(path).status_code == 404
    assert api.get(f"{path}/timeline").status_code == 404
    assert api.get(f"{path}/comments").status_code == 404
    assert api.patch(path, {"title": "Mine now", "version": 1}).status_code == 404
    assert api.post(f"{path}/comments", {"content": "Mine now"}).status_code == 404
    lost = {"lost_reasons": ["Too expensive"], "version": 1}
    assert api.post(f"{path}/declare-lost", lost).status_code == 404
    assert api.delete(path).status_code == 404
    listed = api.get("opportunities", with_count=1).json()
    assert (listed["count"], listed["results"]) == (0, [])
    client = client_for(sales2)
    page = f"/crm/opportunities/{deal.name}/"
    assert client.get(page).status_code == 404
    assert client.get(page + "edit/").status_code == 404
    assert client.post(page + "comment/", {"content": "Mine now"}).status_code == 404
    assert client.post(page + "declare-lost/", {"lost_reasons": "Too expensive"}).status_code == 404
    assert deal.name.encode() not in client.get("/crm/opportunities/").content
    assert deal.name.encode() not in client.get("/crm/opportunities/board/").content
    assert b"Sam&#x27;s deal" not in client.get("/").content
    assert opportunity_state(deal.name) == before
    assert row_counts() == counts
    assert Comment.objects.count() == comments


# --- each reason to see a record -------------------------------------------------------------
def _sees(user, name: str) -> bool:
    return access.opportunities_visible_to(user).filter(pk=name).exists()


def test_the_creator_sees_and_changes_it(deal, sales, api_as):
    assert _sees(sales, deal.name)
    r = api_as(sales).patch(f"opportunities/{deal.name}", {"title": "Renamed", "version": 1})
    assert (r.status_code, r.json()["title"]) == (200, "Renamed")


@pytest.mark.parametrize("field", ["opportunity_owner", "contact_by"])
def test_the_opportunity_owner_and_who_is_to_contact_see_it(deal, sales, sales2, api_as, field):
    assert not _sees(sales2, deal.name)
    crm.update_opportunity(deal, data={field: "sales2"}, version=1, by=sales)
    assert _sees(sales2, deal.name)
    r = api_as(sales2).patch(f"opportunities/{deal.name}", {"title": "Taken over", "version": 2})
    assert (r.status_code, r.json()["title"]) == (200, "Taken over")


def test_the_lead_owner_sees_the_lead(sales, sales2, api_as):
    lead = make_lead(sales)
    assert api_as(sales2).get(f"leads/{lead.name}").status_code == 404
    crm.update_lead(lead, data={"lead_owner": "sales2"}, version=1, by=sales)
    assert api_as(sales2).get(f"leads/{lead.name}").status_code == 200


def test_an_open_assignment_shows_it_until_it_is_closed(deal, sales, sales2, manager, api_as):
    lead = make_lead(sales)
    opp_assignment = assign(deal, user=sales2, by=manager, reason="Covers the north")
    lead_assignment = assign(lead, user=sales2, by=manager)
    assert assign(deal, user=sales2, by=manager) == opp_assignment  # one open per user
    api = api_as(sales2)
    assert api.get(f"opportunities/{deal.name}").status_code == 200
    assert api.get(f"leads/{lead.name}").status_code == 200
    assert Comment.objects.filter(
        reference_name=deal.name,
        comment_type="Assigned",
        content="Assigned to sales2: Covers the north",
    ).exists()
    close_assignment(opp_assignment, by=manager)
    close_assignment(lead_assignment, by=manager, status=Assignment.Status.CANCELLED)
    assert list(Assignment.objects.values_list("status", flat=True).order_by("pk")) == [
        "Closed",
        "Cancelled",
    ]
    assert api.get(f"opportunities/{deal.name}").status_code == 404
    assert api.get(f"leads/{lead.name}").status_code == 404


def test_see_all_shows_every_lead_and_opportunity_to_sales_users(deal, sales, sales2, api_as):
    lead = make_lead(sales)
    api = api_as(sales2)
    see_all(True)
    assert api.get(f"opportunities/{deal.name}").status_code == 200
    assert api.get(f"leads/{lead.name}").status_code == 200
    r = api.patch(f"opportunities/{deal.name}", {"title": "Shared", "version": 1})
    assert r.status_code == 200
    see_all(False)
    assert api.get(f"opportunities/{deal.name}").status_code == 404


def test_managers_and_system_managers_see_all(deal, manager, api_as):
    system = make_user("system", SYSTEM_MANAGER)
    for user in (manager, system):
        assert api_as(user).get(f"opportunities/{deal.name}").status_code == 200
    r = api_as(system).patch(f"opportunities/{deal.name}", {"title": "By IT", "version": 1})
    assert r.status_code == 200


def test_the_settings_are_read_once_per_request(deal, sales2, api_as, django_assert_num_queries):
    api = api_as(sales2)
    api.get("opportunities")
    # the token with its roles (one query), the CRM settings (see-all), the page of rows: the
    # rule is a subquery
    with django_assert_num_queries(3):
        assert api.get("opportunities").status_code == 200


# --- purchase users read, never change ------------------------------------------------------
def test_purchase_users_read_opportunities_and_change_none(deal, purchaser, api_as):
    before = opportunity_state(deal.name)
    api = api_as(purchaser)
    assert api.get(f"opportunities/{deal.name}").status_code == 200
    assert api.patch(f"opportunities/{deal.name}", {"title": "X", "version": 1}).status_code == 403
    assert api.post(f"opportunities/{deal.name}/comments", {"content": "x"}).status_code == 403
    lost = {"lost_reasons": ["Too expensive"], "version": 1}
    assert api.post(f"opportunities/{deal.name}/declare-lost", lost).status_code == 403
    assert api.post("opportunities", {}).status_code == 403  # refused before the body is read
    assert opportunity_state(deal.name) == before


# --- documents and contacts follow their parent ---------------------------------------------
def test_quotations_follow_their_opportunity_or_their_maker(deal, sales, sales2, api_as):
    made = selling.make_quotation_from_opportunity(deal, by=sales)
    customer = make_customer(sales2, customer_name="Shared Ltd")
    own = selling.create_quotation(
        data={
            "quotation_to": "Customer",
            "party_name": customer.name,
            "items": [{"item_code": "W1", "qty": 1}],
        },
        by=sales2,
    )
    api = api_as(sales2)
    assert api.get(f"quotations/{made.name}").status_code == 404
    assert api.get(f"quotations/{made.name}/pdf").status_code == 404
    assert api.get(f"quotations/{own.name}").status_code == 200
    assert [q["name"] for q in api.get("quotations").json()["results"]] == [own.name]
    # the customer is shared, its quotations are not
    assert api_as(sales).get(f"customers/{customer.name}").status_code == 200
    assert api_as(sales).get(f"quotations/{own.name}").status_code == 404


def test_no_quotation_for_a_lead_one_cannot_see(sales, sales2, api_as):
    make_item("W1", rate="10")
    lead = make_lead(sales)
    count = Quotation.objects.count()
    body = {"quotation_to": "Lead", "party_name": lead.name, "items": [{"item_code": "W1"}]}
    r = api_as(sales2).post("quotations", body)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    assert Quotation.objects.count() == count


def test_a_leads_contact_follows_the_lead(sales, sales2, purchaser, api_as):
    lead = make_lead(sales)
    contact = Contact.objects.get(link_doctype="Lead", link_name=lead.name)
    assert api_as(sales).get(f"contacts/{contact.name}").status_code == 200
    for user in (sales2, purchaser):
        assert api_as(user).get(f"contacts/{contact.name}").status_code == 404
        assert contact.name not in str(api_as(user).get("contacts").json())


# --- masters and settings: managers only, refused before the body is read ----------------------
@pytest.mark.parametrize(
    "method,path,body",
    [
        ("post", "currencies", {"name": 5}),
        ("post", "currencies", {}),
        ("patch", "currencies/EUR", {"enabled": "maybe"}),
        ("delete", "currencies/EUR", None),
        ("post", "sales-stages", {"probability": "lots"}),
        ("post", "currency-exchanges", {"exchange_rate": "x"}),
        ("patch", "settings/crm", {"version": "one", "sales_users_see_all": "yes"}),
        ("patch", "settings/crm", {"version": 1, "sales_users_see_all": True}),
    ],
)
def test_sales_users_may_not_write_masters_or_settings(sales, api_as, method, path, body):
    counts = row_counts()
    settings = list(CRMSettings.objects.values())
    api = api_as(sales)
    r = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "permission_denied")
    assert row_counts() == counts
    assert list(CRMSettings.objects.values()) == settings


def test_a_manager_turns_see_all_on(manager, sales, sales2, deal, api_as):
    r = api_as(manager).patch("settings/crm", {"version": 1, "sales_users_see_all": True})
    assert (r.status_code, r.json()["sales_users_see_all"]) == (200, True)
    assert api_as(sales2).get(f"opportunities/{deal.name}").status_code == 200


def test_no_opportunity_for_a_lead_one_cannot_see(sales, sales2, api_as):
    lead = make_lead(sales)
    counts = row_counts()
    body = {"opportunity_from": "Lead", "party_name": lead.name}
    r = api_as(sales2).post("opportunities", body)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    client = client_for(sales2)
    page = client.post(
        "/crm/opportunities/new/", {**body, "opportunity_type": "Sales", "currency": "USD"}
    )
    assert page.status_code == 404
    assert row_counts() == counts


def test_handing_a_deal_over_answers_it_then_hides_it(deal, sales, sales2, api_as):
    crm.update_opportunity(deal, data={"opportunity_owner": "sales2"}, version=1, by=sales)
    api = api_as(sales2)  # sees it as its owner, did not create it
    r = api.patch(f"opportunities/{deal.name}", {"opportunity_owner": "sales", "version": 2})
    assert (r.status_code, r.json()["opportunity_owner"]) == (200, "sales")
    assert api.get(f"opportunities/{deal.name}").status_code == 404


def test_no_contact_for_a_lead_one_cannot_see(sales, sales2, api_as):
    lead = make_lead(sales)
    count = Contact.objects.count()
    body = {"first_name": "Eve", "link_doctype": "Lead", "link_name": lead.name}
    r = api_as(sales2).post("contacts", body)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    assert Contact.objects.count() == count
