"""The global search (issue 14, decision 0026): the API's ``search`` and the header box's
fragment find leads, customers, contacts, opportunities, quotations and suppliers by part of
their name, number, email or phone, grouped by type, and only those the user may see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportune.accounts.roles import PURCHASE_USER, SALES_MANAGER, SALES_USER
from opportune.buying import services as buying
from opportune.buying.models import Supplier
from opportune.core.models import SearchEntry
from opportune.crm import services as crm
from opportune.crm.models import Contact, CRMSettings, Customer
from opportune.selling import services as selling
from opportune.testing import (
    ApiClient,
    client_for,
    make_customer,
    make_item,
    make_lead,
    make_opportunity,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "sales": make_user("sales", SALES_USER),
        "other": make_user("sales2", SALES_USER),
        "manager": make_user("boss", SALES_MANAGER, SALES_USER),
        "buyer": make_user("buyer", PURCHASE_USER),
        "nobody": make_user("outsider"),
    }


@pytest.fixture
def world(people):
    """One document of each type, all holding "zephyr" somewhere, made by the first sales user
    (and the supplier by the buyer)."""
    sales, buyer = people["sales"], people["buyer"]
    make_item("W1", rate="10")
    lead = make_lead(
        sales, lead_name="Zephyr Lead", company_name="Windy Co", email_id="lead@zephyr.example"
    )
    customer = make_customer(
        sales,
        customer_name="Gale Zephyr Ltd",
        email_id="orders@zephyr-gale.example",
        phone="+44 20 7946 0958",
    )
    contact = crm.create_contact(
        data={
            "first_name": "Ada",
            "last_name": "Zephyrine",
            "email_id": "ada@gale.example",
            "mobile_no": "+49 151 2345678",
            "link_doctype": "Customer",
            "link_name": customer.name,
        },
        by=sales,
    )
    opportunity = make_opportunity(
        sales, customer, title="Zephyr turbines", items=[{"item_code": "W1", "qty": 1}]
    )
    quotation = selling.make_quotation_from_opportunity(opportunity, by=sales)
    supplier = buying.create_supplier(
        data={"supplier_name": "Zephyr Parts", "email_id": "sales@parts.example"}, by=buyer
    )
    lead_contact = Contact.objects.get(link_doctype="Lead", link_name=lead.name)
    return {
        "Lead": lead.name,
        "Customer": customer.name,
        "Contact": contact.name,
        "Opportunity": opportunity.name,
        "Quotation": quotation.name,
        "Supplier": supplier.name,
        "lead_contact": lead_contact.name,
    }


def search(user, **params):
    response = ApiClient(user).get("search", **params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def names(results, doctype=None):
    return [r["name"] for r in results if doctype is None or r["doctype"] == doctype]


def test_each_type_is_found_by_name_number_email_and_phone(people, world):
    boss = people["manager"]
    results = search(boss, q="zephyr")
    assert [r["doctype"] for r in results] == [
        "Lead",
        "Customer",
        "Contact",
        "Contact",
        "Opportunity",
        "Quotation",
        "Supplier",
    ]  # grouped by type, in the registered order
    assert set(names(results, "Contact")) == {world["Contact"], world["lead_contact"]}
    # by email, phone (any part), number, and across a contact's two names
    assert names(search(boss, q="orders@zephyr")) == [world["Customer"]]
    assert names(search(boss, q="7946 09")) == [world["Customer"]]
    assert names(search(boss, q="2345678"), "Contact") == [world["Contact"]]
    assert world["Quotation"] in names(search(boss, q=world["Quotation"].lower()))
    assert names(search(boss, q="ada zephyr")) == [world["Contact"]]
    assert names(search(boss, q="sales@parts")) == [world["Supplier"]]


def test_a_result_has_a_title_and_a_subtitle(people, world):
    results = {r["doctype"]: r for r in search(people["manager"], q="zephyr")}
    assert results["Lead"] == {
        "doctype": "Lead",
        "name": world["Lead"],
        "title": "Zephyr Lead",
        "subtitle": "Windy Co · lead@zephyr.example",
    }
    assert results["Customer"]["title"] == "Gale Zephyr Ltd"
    assert results["Customer"]["subtitle"] == "orders@zephyr-gale.example · +44 20 7946 0958"
    assert results["Opportunity"]["title"] == "Zephyr turbines"
    assert results["Opportunity"]["subtitle"].startswith("Gale Zephyr Ltd · Open")
    assert results["Supplier"]["title"] == "Zephyr Parts"


def test_types_narrow_the_search(people, world):
    boss = people["manager"]
    assert {r["doctype"] for r in search(boss, q="zephyr", types="leads,suppliers")} == {
        "Lead",
        "Supplier",
    }
    assert names(search(boss, q="zephyr", types="Customer")) == [world["Customer"]]


def test_at_most_limit_of_each_type(people, world):
    sales = people["sales"]
    for i in range(7):
        make_customer(sales, customer_name=f"Zephyr {i}")
    results = search(people["manager"], q="zephyr", types="customers")
    assert len(results) == 5  # the default
    assert len(search(people["manager"], q="zephyr", types="customers", limit=8)) == 8


def test_only_what_the_user_may_see(people, world):
    CRMSettings.objects.filter(pk=1).update(sales_users_see_all=False)
    found = {r["doctype"] for r in search(people["sales"], q="zephyr")}
    assert found == {"Lead", "Customer", "Contact", "Opportunity", "Quotation", "Supplier"}
    # another sales user: not the lead (nor its contact), the opportunity or its quotation
    other = search(people["other"], q="zephyr")
    assert {r["doctype"] for r in other} == {"Customer", "Contact", "Supplier"}
    assert names(other, "Contact") == [world["Contact"]]
    # a buyer reads parties and opportunities, but no leads or quotations
    buyer = {r["doctype"] for r in search(people["buyer"], q="zephyr")}
    assert buyer == {"Customer", "Contact", "Opportunity", "Supplier"}
    assert search(people["nobody"], q="zephyr") == []


def test_short_text_and_no_match(people, world):
    boss = people["manager"]
    assert world["Supplier"] in names(search(boss, q="ze"))  # under a trigram: a plain scan
    assert search(boss, q="no such thing") == []
    assert search(boss, q='"%_') == []  # quotes and wildcards are text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "zephyr", "types": "leads,planets"}, "types"),
        ({"q": "zephyr", "limit": 0}, "limit"),
        ({"q": "zephyr", "limit": 21}, "limit"),
    ],
)
def test_bad_input_names_the_field(people, params, field):
    response = ApiClient(people["manager"]).get("search", **params)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_no_token_401():
    assert ApiClient(None).get("search", q="x").status_code == 401


def test_one_query_per_type_with_rows(people, world):
    """The titles come with the rows: no query per result (a manager: no access subqueries)."""
    boss = people["manager"]
    client = ApiClient(boss)
    client.get("search", q="zephyr")  # warm: the token's and the settings' reads
    with CaptureQueriesContext(connection) as few:
        client.get("search", q="zephyr", types="customers")
    with CaptureQueriesContext(connection) as all_types:
        client.get("search", q="zephyr")
    assert len(all_types) - len(few) == 5  # one more query for each of the 5 other types


def test_entries_follow_the_parties(people, world):
    customer = Customer.objects.get(pk=world["Customer"])
    customer.email_id = "new@breeze.example"
    customer.save(update_fields=["email_id"])
    assert names(search(people["manager"], q="breeze")) == [world["Customer"]]
    assert "orders@zephyr" not in SearchEntry.objects.get(doctype="Customer", name=customer.pk).text
    supplier = Supplier.objects.get(pk=world["Supplier"])
    supplier.delete()
    assert not SearchEntry.objects.filter(doctype="Supplier", name=supplier.pk).exists()


# --- the header's box -------------------------------------------------------------------------
def test_the_box_gets_the_results_grouped_with_links(people, world):
    client = client_for(people["manager"])
    response = client.get("/search/", {"q": "zephyr"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment
    for label in ("Leads", "Customers", "Contacts", "Opportunities", "Quotations", "Suppliers"):
        assert f">{label}</h2>" in html
    assert f'href="/crm/leads/{world["Lead"]}/"' in html
    assert f'href="/crm/opportunities/{world["Opportunity"]}/"' in html
    assert f'href="/selling/quotations/{world["Quotation"]}/"' in html
    assert 'href="/buying/suppliers/Zephyr%20Parts/"' in html
    # a contact has no page of its own: its party's
    assert html.count('href="/crm/customers/Gale%20Zephyr%20Ltd/"') == 2


def test_the_box_says_when_nothing_is_found_and_the_page_has_the_same_results(people, world):
    client = client_for(people["other"])
    empty = client.get("/search/", {"q": "nothing here"}, headers={"HX-Request": "true"})
    assert "Nothing found" in empty.content.decode()
    # the box waits for a trigram; the page searches with less
    short = client.get("/search/", {"q": "ze"}, headers={"HX-Request": "true"})
    assert "three characters" in short.content.decode() and "Gale" not in short.content.decode()
    assert "Gale Zephyr Ltd" in client.get("/search/", {"q": "ze"}).content.decode()
    page = client.get("/search/", {"q": "zephyr"})
    html = page.content.decode()
    assert "<html" in html and "Gale Zephyr Ltd" in html
    assert world["Lead"] not in html  # not theirs
    assert client.get("/search/", {"q": "zephyr", "types": "planets"}).status_code == 200


def test_the_header_has_the_box(people):
    html = client_for(people["sales"]).get("/").content.decode()
    assert 'id="global-search"' in html and 'hx-get="/search/"' in html
    assert "js/search.js" in html
