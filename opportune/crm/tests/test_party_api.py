"""Leads, customers and contacts over the API, and the lead conversions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from opportune.crm import services as crm
from opportune.crm.models import Contact, Customer, Lead, Opportunity
from opportune.crm.tests.helpers import row_counts
from opportune.testing import make_customer, make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def error_fields(response, status=422, code="validation_error"):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]["fields"]


def state(obj):
    fresh = type(obj).objects.get(pk=obj.pk)
    return {**model_to_dict(fresh), "version": fresh.version, "modified": fresh.modified}


# --- leads ---------------------------------------------------------------------------------------
def test_lead_crud(sales, sales2, api_as):
    api = api_as(sales)
    r = api.post(
        "leads",
        {
            "lead_name": "Ada Lovelace",
            "company_name": "Engines",
            "email_id": "ada@engines.example",
            "source": "Website",
            "lead_owner": "sales2",
            "territory": "All Territories",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    name = body["name"]
    assert body == {
        "name": name,
        "version": 1,
        "creation": body["creation"],
        "modified": body["modified"],
        "owner": "sales",
        "modified_by": "sales",
        "lead_name": "Ada Lovelace",
        "company_name": "Engines",
        "email_id": "ada@engines.example",
        "phone": "",
        "mobile_no": "",
        "job_title": "",
        "website": "",
        "city": "",
        "country": "",
        "source": "Website",
        "campaign": None,
        "territory": "All Territories",
        "industry": None,
        "lead_owner": "sales2",
        "status": "Lead",
        "notes": "",
        "disabled": False,
    }
    assert api.get(f"leads/{name}").json() == body
    r = api.patch(f"leads/{name}", {"version": 1, "status": "Interested", "city": "London"})
    assert (r.status_code, r.json()["status"], r.json()["city"], r.json()["version"]) == (
        200,
        "Interested",
        "London",
        2,
    )
    r = api.patch(f"leads/{name}", {"city": "Paris"}, headers={"If-Match": "2"})
    assert (r.status_code, r.json()["city"]) == (200, "Paris")
    assert names(api.get("leads", status="Interested")) == [name]
    assert names(api.get("leads", q="engines")) == [name]
    assert names(api.get("leads", lead_owner="sales2")) == [name]
    assert names(api.get("leads", lead_owner="sales")) == []
    assert api.delete(f"leads/{name}").status_code == 204
    assert not Lead.objects.filter(pk=name).exists()


def names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"lead_name": ""}, "lead_name"),
        ({"company_name": "x"}, "lead_name"),
        ({"lead_name": "A", "email_id": "nope"}, "email_id"),
        ({"lead_name": "A", "source": "Nope"}, "source"),
        ({"lead_name": "A", "lead_owner": "ghost"}, "lead_owner"),
        ({"lead_name": "A", "status": "Converted"}, "status"),
        ({"lead_name": "A", "extra": 1}, "extra"),
        ({"lead_name": "A" * 141}, "lead_name"),
    ],
)
def test_bad_lead_is_422(sales, api_as, data, field):
    counts = row_counts()
    assert field in error_fields(api_as(sales).post("leads", data))
    assert row_counts() == counts


def test_lead_stale_patch_and_bad_patch(sales, api_as):
    lead = make_lead(sales)
    crm.update_lead(lead, data={"city": "Rome"}, version=1, by=sales)
    before = state(lead)
    api = api_as(sales)
    error_fields(api.patch(f"leads/{lead.name}", {"version": 1, "city": "X"}), 409, "conflict")
    assert "lead_name" in error_fields(
        api.patch(f"leads/{lead.name}", {"version": 2, "lead_name": ""})
    )
    assert state(lead) == before


def test_lead_permissions(sales, purchaser, outsider, api_as):
    lead = make_lead(sales)
    before, counts = state(lead), row_counts()
    for user in (purchaser, outsider):
        api = api_as(user)
        error_fields(api.get(f"leads/{lead.name}"), 404, "not_found")
        assert names(api.get("leads")) == []
        error_fields(api.patch(f"leads/{lead.name}", {"version": 1, "city": "x"}), 404, "not_found")
        error_fields(api.post(f"leads/{lead.name}/make-opportunity"), 404, "not_found")
        error_fields(api.post("leads", {"lead_name": "X"}), 403, "permission_denied")
    assert state(lead) == before
    assert row_counts() == counts


def test_lead_with_opportunity_cannot_be_deleted(sales, api_as):
    lead = make_lead(sales)
    make_opportunity(sales, lead)
    counts = row_counts()
    error_fields(api_as(sales).delete(f"leads/{lead.name}"), 409, "conflict")
    assert row_counts() == counts


def test_make_opportunity_from_lead(sales, sales2, api_as):
    lead = make_lead(sales, lead_owner="sales2", source="Cold Calling", mobile_no="555")
    r = api_as(sales).post(
        f"leads/{lead.name}/make-opportunity",
        {"opportunity_amount": "1500", "opportunity_type": "Support"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["opportunity_from"],
        body["party_name"],
        body["customer_name"],
        body["opportunity_owner"],
        body["source"],
        body["contact_display"],
        body["contact_email"],
        body["contact_mobile"],
        body["opportunity_amount"],
        body["opportunity_type"],
        body["owner"],
    ) == (
        "Lead",
        lead.name,
        "Analytical Engines",
        "sales2",
        "Cold Calling",
        "Ada Lovelace",
        "ada@engines.example",
        "555",
        "1500.00",
        "Support",
        "sales",
    )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPPORTUNITY


def test_make_opportunity_from_lead_without_body(sales, api_as):
    lead = make_lead(sales)
    r = api_as(sales).post(f"leads/{lead.name}/make-opportunity")
    assert (r.status_code, r.json()["party_name"]) == (201, lead.name)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"probability": 150}, "probability"),
        ({"party_name": "x", "colour": 1}, "colour"),
        ({"currency": "CHF"}, "conversion_rate"),
        ({"items": [{"item_code": "NOPE"}]}, "items[0].item_code"),
    ],
)
def test_make_opportunity_from_lead_refused(sales, api_as, data, field):
    lead = make_lead(sales)
    before, counts = state(lead), row_counts()
    assert field in error_fields(api_as(sales).post(f"leads/{lead.name}/make-opportunity", data))
    assert state(lead) == before
    assert row_counts() == counts


def test_make_customer_from_lead(sales, api_as):
    lead = make_lead(sales, mobile_no="12")  # CRM Settings make its contact
    r = api_as(sales).post(f"leads/{lead.name}/make-customer")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["name"],
        body["customer_name"],
        body["customer_type"],
        body["lead_name"],
        body["email_id"],
        body["mobile_no"],
        body["opportunity_name"],
    ) == (
        "Analytical Engines",
        "Analytical Engines",
        "Company",
        lead.name,
        "ada@engines.example",
        "12",
        None,
    )
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONVERTED
    copied = Contact.objects.get(link_doctype="Customer", link_name="Analytical Engines")
    assert (copied.first_name, copied.email_id) == ("Ada", "ada@engines.example")


# --- customers -----------------------------------------------------------------------------------
def test_customer_crud(sales, purchaser, api_as):
    api = api_as(sales)
    r = api.post(
        "customers",
        {
            "customer_name": " Babbage Ltd ",
            "customer_group": "Commercial",
            "default_currency": "EUR",
            "customer_type": "Company",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body == {
        "name": "Babbage Ltd",
        "version": 1,
        "creation": body["creation"],
        "modified": body["modified"],
        "owner": "sales",
        "modified_by": "sales",
        "customer_name": "Babbage Ltd",
        "customer_type": "Company",
        "customer_group": "Commercial",
        "territory": None,
        "industry": None,
        "default_currency": "EUR",
        "email_id": "",
        "phone": "",
        "mobile_no": "",
        "website": "",
        "lead_name": None,
        "opportunity_name": None,
        "disabled": False,
    }
    assert api_as(purchaser).get("customers/Babbage Ltd").json() == body
    r = api.patch("customers/Babbage Ltd", {"version": 1, "disabled": True})
    assert (r.status_code, r.json()["disabled"], r.json()["version"]) == (200, True, 2)
    assert names(api.get("customers", disabled="true")) == ["Babbage Ltd"]
    assert names(api.get("customers", disabled="false")) == []
    assert names(api.get("customers", q="babb", customer_group="Commercial,Government")) == [
        "Babbage Ltd"
    ]
    r = api.post("customers", {"customer_name": "Babbage Ltd"})
    assert r.json()["name"] == "Babbage Ltd - 2"
    assert api.delete("customers/Babbage Ltd - 2").status_code == 204


def test_customer_permissions_and_errors(sales, purchaser, outsider, api_as):
    customer = make_customer(sales)
    before, counts = state(customer), row_counts()
    error_fields(
        api_as(purchaser).patch(f"customers/{customer.name}", {"version": 1, "phone": "1"}),
        403,
        "permission_denied",
    )
    error_fields(
        api_as(purchaser).post("customers", {"customer_name": "X"}), 403, "permission_denied"
    )
    error_fields(api_as(outsider).get(f"customers/{customer.name}"), 404, "not_found")
    error_fields(api_as(sales).get("customers/Nobody"), 404, "not_found")
    api = api_as(sales)
    assert "default_currency" in error_fields(
        api.patch(f"customers/{customer.name}", {"version": 1, "default_currency": "ZZZ"})
    )
    assert "customer_type" in error_fields(
        api.patch(f"customers/{customer.name}", {"version": 1, "customer_type": "Alien"})
    )
    error_fields(
        api.patch(f"customers/{customer.name}", {"version": 7, "phone": "1"}), 409, "conflict"
    )
    assert state(customer) == before
    assert row_counts() == counts


def test_customer_with_opportunity_cannot_be_deleted(sales, api_as):
    opp = make_opportunity(sales)
    counts = row_counts()
    error_fields(api_as(sales).delete(f"customers/{opp.party_name}"), 409, "conflict")
    assert row_counts() == counts
    assert Customer.objects.filter(pk=opp.party_name).exists()


# --- contacts ------------------------------------------------------------------------------------
def test_contact_crud(sales, api_as):
    customer = make_customer(sales)
    api = api_as(sales)
    r = api.post(
        "contacts",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email_id": "grace@babbage.example",
            "link_doctype": "Customer",
            "link_name": customer.name,
            "is_primary_contact": True,
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    name = body["name"]
    assert body == {
        "name": name,
        "version": 1,
        "creation": body["creation"],
        "modified": body["modified"],
        "owner": "sales",
        "modified_by": "sales",
        "first_name": "Grace",
        "last_name": "Hopper",
        "full_name": "Grace Hopper",
        "email_id": "grace@babbage.example",
        "phone": "",
        "mobile_no": "",
        "designation": "",
        "link_doctype": "Customer",
        "link_name": "Babbage Ltd",
        "is_primary_contact": True,
    }
    assert api.get(f"contacts/{name}").json() == body
    r = api.patch(f"contacts/{name}", {"version": 1, "designation": "CTO"})
    assert (r.status_code, r.json()["designation"]) == (200, "CTO")
    assert names(api.get("contacts", link_name=customer.name)) == [name]
    assert names(api.get("contacts", email_id="GRACE@babbage.example")) == [name]
    assert names(api.get("contacts", q="hopp")) == [name]
    opp = make_opportunity(sales, customer)
    assert opp.contact_person_id == name
    assert api.delete(f"contacts/{name}").status_code == 204
    assert Opportunity.objects.get(pk=opp.pk).contact_person_id is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"first_name": "A", "link_doctype": "Customer", "link_name": "Nobody"}, "link_name"),
        ({"first_name": "A", "link_doctype": "Planet", "link_name": "Mars"}, "link_doctype"),
        ({"first_name": "A", "email_id": "bad"}, "email_id"),
    ],
)
def test_bad_contact(sales, api_as, data, field):
    counts = row_counts()
    assert field in error_fields(api_as(sales).post("contacts", data))
    assert row_counts() == counts


def test_contact_permissions(sales, purchaser, outsider, api_as):
    contact = crm.create_contact(data={"first_name": "Grace"}, by=sales)
    before = state(contact)
    assert api_as(purchaser).get(f"contacts/{contact.name}").status_code == 200
    error_fields(
        api_as(purchaser).patch(f"contacts/{contact.name}", {"version": 1, "first_name": "X"}),
        403,
        "permission_denied",
    )
    error_fields(api_as(purchaser).delete(f"contacts/{contact.name}"), 403, "permission_denied")
    error_fields(api_as(outsider).get(f"contacts/{contact.name}"), 404, "not_found")
    error_fields(api_as(outsider).post("contacts", {"first_name": "X"}), 403, "permission_denied")
    assert state(contact) == before


def test_money_of_make_opportunity_uses_decimal(sales):
    lead = make_lead(sales)
    opp = crm.make_opportunity_from_lead(
        lead, by=sales, data={"opportunity_amount": Decimal("10.005")}
    )
    assert opp.opportunity_amount == Decimal("10.01")


def test_a_customer_named_with_a_slash_gets_a_key_without_one(sales, api_as):
    """A key is a path segment of its pages and endpoints: "/" in it made every page linking
    the customer a 500 (found by core/tests/test_hostile_input.py). The name keeps it."""
    r = api_as(sales).post("customers", {"customer_name": "A/S Nordic"})
    assert r.status_code == 201, r.content
    assert (r.json()["name"], r.json()["customer_name"]) == ("A-S Nordic", "A/S Nordic")
    client = Client()
    client.force_login(sales)
    assert client.get("/crm/customers/").status_code == 200
    assert client.get("/crm/customers/A-S Nordic/").status_code == 200
