"""An opportunity given only a contact e-mail finds its party (ERPNext's make_new_lead_if_required):
a customer through one of its contacts, else a lead with that address, else a new lead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opportune.core.errors import ValidationError
from opportune.crm import services as crm
from opportune.crm.models import Lead, Opportunity
from opportune.crm.tests.helpers import row_counts
from opportune.testing import make_customer, make_lead

pytestmark = pytest.mark.django_db


def from_email(user, email, **data):
    return crm.create_opportunity(data={"contact_email": email, **data}, by=user)


def test_customer_found_through_its_contact(sales):
    customer = make_customer(sales)
    crm.create_contact(
        data={
            "first_name": "Grace",
            "email_id": "grace@babbage.example",
            "link_doctype": "Customer",
            "link_name": customer.name,
        },
        by=sales,
    )
    make_lead(sales, email_id="grace@babbage.example")  # the customer's contact wins
    opp = from_email(sales, "Grace@Babbage.example")
    assert (opp.opportunity_from, opp.party_name, opp.customer_id) == (
        "Customer",
        "Babbage Ltd",
        "Babbage Ltd",
    )
    assert (opp.title, opp.contact_email) == ("Babbage Ltd", "Grace@Babbage.example")


def test_contact_of_a_lead_does_not_make_a_customer(sales):
    lead = make_lead(sales, email_id="other@engines.example")
    crm.create_contact(
        data={
            "first_name": "Ada",
            "email_id": "ada@x.example",
            "link_doctype": "Lead",
            "link_name": lead.name,
        },
        by=sales,
    )
    opp = from_email(sales, "ada@x.example")
    assert opp.opportunity_from == "Lead"
    assert opp.party_name != lead.name  # a new lead for that address
    assert Lead.objects.get(pk=opp.party_name).email_id == "ada@x.example"


def test_existing_lead_found_by_email(sales):
    lead = make_lead(sales)
    count = Lead.objects.count()
    opp = from_email(sales, "ADA@engines.example")
    assert (opp.opportunity_from, opp.party_name, opp.lead_id) == ("Lead", lead.name, lead.name)
    assert Lead.objects.count() == count
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OPPORTUNITY


@pytest.mark.parametrize(
    ("email", "lead_name"),
    [
        ("john.smith@x.com", "John Smith"),
        ("mary_ann.o@x.com", "Mary Ann O"),
        ("info@x.com", "Info"),
        ("_@x.com", "Unknown"),
    ],
)
def test_new_lead_named_from_the_address(sales, email, lead_name):
    opp = from_email(sales, email)
    lead = Lead.objects.get(pk=opp.party_name)
    assert (lead.lead_name, lead.email_id, lead.status) == (
        lead_name,
        email,
        Lead.Status.OPPORTUNITY,
    )
    assert (opp.opportunity_from, opp.customer_name, opp.title, opp.contact_email) == (
        "Lead",
        lead_name,
        lead_name,
        email,
    )
    assert lead.owner == sales
    assert lead.history.first().history_user == sales


def test_refused_opportunity_creates_no_lead(sales):
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        from_email(sales, "john.smith@x.com", probability=Decimal(150))
    assert list(info.value.fields) == ["probability"]
    assert row_counts() == before
    assert not Lead.objects.filter(email_id="john.smith@x.com").exists()


def test_party_name_given_wins_over_email(sales):
    customer = make_customer(sales)
    opp = crm.create_opportunity(
        data={
            "opportunity_from": "Customer",
            "party_name": customer.name,
            "contact_email": "new@x.com",
        },
        by=sales,
    )
    assert opp.party_name == customer.name
    assert not Lead.objects.filter(email_id="new@x.com").exists()


def test_over_the_api(sales, api_as):
    r = api_as(sales).post("opportunities", {"contact_email": "john.smith@x.com"})
    assert r.status_code == 201, r.content
    body = r.json()
    lead = Lead.objects.get(email_id="john.smith@x.com")
    assert (body["opportunity_from"], body["party_name"], body["title"], body["owner"]) == (
        "Lead",
        lead.name,
        "John Smith",
        "sales",
    )
    assert Opportunity.objects.get(pk=body["name"]).lead == lead


def test_over_the_api_bad_email(sales, api_as):
    before = row_counts()
    r = api_as(sales).post("opportunities", {"contact_email": "not an address"})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["contact_email"]
    assert row_counts() == before
