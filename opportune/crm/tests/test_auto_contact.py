"""CRM Settings ``auto_creation_of_contact``: a new lead gets a Contact for its person, in the same
transaction, and that contact follows the lead to the customer it becomes (ERPNext's Lead
``before_insert``/``create_contact`` and Customer ``link_lead_address_and_contact``)."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from opportune.core.errors import ValidationError
from opportune.crm import services as crm
from opportune.crm.models import Contact, CRMSettings, Customer, Lead
from opportune.crm.services import parties
from opportune.crm.tests.helpers import row_counts

pytestmark = pytest.mark.django_db

LEAD = {
    "lead_name": "Ada King Lovelace",
    "company_name": "Analytical Engines",
    "email_id": "ada@engines.example",
    "phone": "+44 20 7946 0000",
    "mobile_no": "+44 7700 900000",
    "job_title": "Head of Research",
}


def contacts_of(doctype: str, name: str) -> list[dict]:
    rows = Contact.objects.filter(link_doctype=doctype, link_name=name).order_by("creation", "name")
    return [
        model_to_dict(c, fields=CONTACT_FIELDS)
        | {"owner": c.owner.username if c.owner else None, "version": c.version}
        for c in rows
    ]


CONTACT_FIELDS = [
    "first_name",
    "last_name",
    "email_id",
    "phone",
    "mobile_no",
    "designation",
    "link_doctype",
    "link_name",
    "is_primary_contact",
]


def expected_contact(doctype: str, name: str, owner: str = "sales") -> dict:
    return {
        "first_name": "Ada",
        "last_name": "King Lovelace",
        "email_id": "ada@engines.example",
        "phone": "+44 20 7946 0000",
        "mobile_no": "+44 7700 900000",
        "designation": "Head of Research",
        "link_doctype": doctype,
        "link_name": name,
        "is_primary_contact": True,
        "owner": owner,
        "version": 1,
    }


def auto_contact(on: bool) -> None:
    CRMSettings.load()
    CRMSettings.objects.filter(pk=1).update(auto_creation_of_contact=on)


# --- lead create: the service -------------------------------------------------------------------
def test_new_lead_gets_a_contact_for_its_person(sales):
    lead = crm.create_lead(data=LEAD, by=sales)
    assert contacts_of("Lead", lead.name) == [expected_contact("Lead", lead.name)]
    assert Contact.objects.count() == 1


def test_a_one_word_name_is_the_first_name_and_blank_details_stay_blank(sales):
    lead = crm.create_lead(data={"lead_name": "Plato"}, by=sales)
    assert contacts_of("Lead", lead.name) == [
        {
            "first_name": "Plato",
            "last_name": "",
            "email_id": "",
            "phone": "",
            "mobile_no": "",
            "designation": "",
            "link_doctype": "Lead",
            "link_name": lead.name,
            "is_primary_contact": True,
            "owner": "sales",
            "version": 1,
        }
    ]


def test_a_name_longer_than_a_contact_name_is_cut_to_fit(sales):
    lead = crm.create_lead(data={"lead_name": "A" * 120 + " " + "B" * 19}, by=sales)
    contact = Contact.objects.get(link_doctype="Lead", link_name=lead.name)
    assert (contact.first_name, contact.last_name) == ("A" * 100, "B" * 19)


def test_setting_off_makes_no_contact(sales):
    auto_contact(False)
    lead = crm.create_lead(data=LEAD, by=sales)
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [({"lead_name": " "}, "lead_name"), ({"email_id": "nope"}, "email_id")],
)
def test_refused_lead_makes_no_contact(sales, bad, field):
    counts = row_counts()
    with pytest.raises(ValidationError) as refused:
        crm.create_lead(data={**LEAD, **bad}, by=sales)
    assert list(refused.value.fields) == [field]
    assert row_counts() == counts


def test_lead_and_contact_are_one_transaction(sales, monkeypatch):
    """A contact that cannot be saved takes the lead down with it."""

    def refuse(**kwargs):
        raise ValidationError.for_field("first_name", "refused for the test")

    monkeypatch.setattr(parties, "create_contact", refuse)
    counts = row_counts()
    with pytest.raises(ValidationError):
        crm.create_lead(data=LEAD, by=sales)
    assert row_counts() == counts


def test_editing_the_lead_leaves_its_contact_alone(sales):
    """As ERPNext: the contact is made once, then has a life of its own."""
    lead = crm.create_lead(data=LEAD, by=sales)
    crm.update_lead(
        lead, data={"email_id": "ada@new.example", "lead_name": "Ada B"}, version=1, by=sales
    )
    assert contacts_of("Lead", lead.name) == [expected_contact("Lead", lead.name)]


def test_an_opportunity_from_the_lead_names_the_contact(sales):
    lead = crm.create_lead(data=LEAD, by=sales)
    opportunity = crm.make_opportunity_from_lead(lead, by=sales)
    contact = Contact.objects.get(link_doctype="Lead", link_name=lead.name)
    assert (
        opportunity.contact_person_id,
        opportunity.contact_display,
        opportunity.contact_email,
        opportunity.contact_mobile,
    ) == (contact.name, "Ada King Lovelace", "ada@engines.example", "+44 7700 900000")


# --- lead create: the API and the page ----------------------------------------------------------
def test_api_lead_create_makes_the_contact_when_on(sales, api_as):
    api = api_as(sales)
    r = api.post("leads", LEAD)
    assert r.status_code == 201, r.content
    name = r.json()["name"]
    found = api.get("contacts", link_doctype="Lead", link_name=name).json()["results"]
    assert [
        {k: row[k] for k in (*CONTACT_FIELDS, "full_name", "owner", "version")} for row in found
    ] == [{**expected_contact("Lead", name), "full_name": "Ada King Lovelace"}]


def test_api_lead_create_makes_no_contact_when_off(manager, sales, api_as):
    r = api_as(manager).patch("settings/crm", {"version": 1, "auto_creation_of_contact": False})
    assert (r.status_code, r.json()["auto_creation_of_contact"]) == (200, False)
    r = api_as(sales).post("leads", LEAD)
    assert r.status_code == 201, r.content
    assert Lead.objects.filter(pk=r.json()["name"]).exists()
    assert Contact.objects.count() == 0


def test_api_refused_lead_makes_no_contact(sales, api_as):
    counts = row_counts()
    r = api_as(sales).post("leads", {**LEAD, "source": "Nowhere"})
    assert (r.status_code, list(r.json()["error"]["fields"])) == (422, ["source"])
    assert row_counts() == counts


def test_lead_form_makes_the_contact(sales):
    client = Client()
    client.force_login(sales)
    response = client.post(reverse("crm:lead_create"), LEAD)
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert contacts_of("Lead", lead.name) == [expected_contact("Lead", lead.name)]


# --- conversion: the contact follows the lead ---------------------------------------------------
def test_make_customer_brings_the_contact_along(sales, api_as):
    lead = crm.create_lead(data=LEAD, by=sales)
    r = api_as(sales).post(f"leads/{lead.name}/make-customer")
    assert r.status_code == 201, r.content
    assert r.json()["name"] == "Analytical Engines"
    assert contacts_of("Customer", "Analytical Engines") == [
        expected_contact("Customer", "Analytical Engines")
    ]
    # the lead keeps its own (its opportunities and quotations may name it)
    assert contacts_of("Lead", lead.name) == [expected_contact("Lead", lead.name)]
    assert Contact.objects.count() == 2


def test_make_customer_from_opportunity_brings_the_contact_along(sales, api_as):
    lead = crm.create_lead(data=LEAD, by=sales)
    opportunity = crm.make_opportunity_from_lead(lead, by=sales)
    r = api_as(sales).post(f"opportunities/{opportunity.name}/make-customer")
    assert r.status_code == 201, r.content
    assert contacts_of("Customer", r.json()["name"]) == [
        expected_contact("Customer", r.json()["name"])
    ]


def test_the_contact_is_copied_once_beside_the_leads_other_contacts(sales):
    lead = crm.create_lead(data=LEAD, by=sales)
    crm.create_contact(
        data={"first_name": "Charles", "link_doctype": "Lead", "link_name": lead.name}, by=sales
    )
    customer = crm.make_customer_from_lead(lead, by=sales)
    assert [
        (c["first_name"], c["is_primary_contact"]) for c in contacts_of("Customer", customer.name)
    ] == [
        ("Ada", True),
        ("Charles", False),
    ]


def test_refused_second_conversion_copies_nothing(sales, api_as):
    lead = crm.create_lead(data=LEAD, by=sales)
    crm.make_customer_from_lead(lead, by=sales)
    counts = row_counts()
    r = api_as(sales).post(f"leads/{lead.name}/make-customer")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "conflict")
    assert row_counts() == counts
    assert Customer.objects.count() == 1


def test_no_contact_to_bring_when_the_setting_was_off(sales):
    auto_contact(False)
    lead = crm.create_lead(data=LEAD, by=sales)
    customer = crm.make_customer_from_lead(lead, by=sales)
    assert contacts_of("Customer", customer.name) == []


# --- deleting the party: its contacts go with it (ERPNext's delete_contact_and_address) --------
def test_deleting_a_lead_deletes_its_contacts_only(sales, api_as):
    lead = crm.create_lead(data=LEAD, by=sales)
    other = crm.create_lead(data={**LEAD, "email_id": "b@engines.example"}, by=sales)
    loose = crm.create_contact(data={"first_name": "Loose"}, by=sales)
    r = api_as(sales).delete(f"leads/{lead.name}")
    assert r.status_code == 204
    assert contacts_of("Lead", lead.name) == []
    assert [c["link_name"] for c in contacts_of("Lead", other.name)] == [other.name]
    assert Contact.objects.filter(pk=loose.pk).exists()
    assert Contact.objects.count() == 2


def test_deleting_a_converted_lead_leaves_the_customers_copy(sales):
    lead = crm.create_lead(data=LEAD, by=sales)
    customer = crm.make_customer_from_lead(lead, by=sales)
    crm.delete_lead(Lead.objects.get(pk=lead.pk), version=None, by=sales)
    assert contacts_of("Customer", customer.name) == [expected_contact("Customer", customer.name)]
    assert Contact.objects.count() == 1


def test_refused_lead_delete_keeps_its_contact(sales, api_as):
    lead = crm.create_lead(data=LEAD, by=sales)
    crm.make_opportunity_from_lead(lead, by=sales)
    counts = row_counts()
    r = api_as(sales).delete(f"leads/{lead.name}")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "conflict")
    assert row_counts() == counts
    assert contacts_of("Lead", lead.name) == [expected_contact("Lead", lead.name)]


def test_deleting_a_customer_deletes_its_contacts(sales, api_as):
    """So a later customer of the same name does not inherit them."""
    lead = crm.create_lead(data=LEAD, by=sales)
    customer = crm.make_customer_from_lead(lead, by=sales)
    assert api_as(sales).delete(f"customers/{customer.name}").status_code == 204
    assert contacts_of("Customer", customer.name) == []
    again = crm.create_customer(data={"customer_name": customer.customer_name}, by=sales)
    assert (again.name, contacts_of("Customer", again.name)) == ("Analytical Engines", [])
