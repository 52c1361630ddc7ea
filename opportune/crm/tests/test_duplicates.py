"""Likely duplicates of a new lead, customer or contact (decision 0025): the API's 409 with the
candidates unless ``allow_duplicate``, ERPNext's lead email rule, phone keys, the page warning."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportune.crm.models import Contact, CRMSettings, Customer, Lead
from opportune.crm.services.duplicates import phone_key, same_email_or_phone, similar_names
from opportune.crm.tests.helpers import row_counts
from opportune.testing import client_for, make_customer, make_lead

pytestmark = pytest.mark.django_db


def allow_lead_email_duplicates(on: bool = True) -> None:
    CRMSettings.objects.filter(pk=1).update(allow_lead_duplication_based_on_emails=on)


# --- phone keys ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("+49 30 1234-5678", "030 12345678"),
        ("(030) 123.456/78", "+49301234 5678"),
        ("0044 20 7946 0018", "+44 (20) 7946-0018"),
    ],
)
def test_phone_numbers_written_differently_have_one_key(a, b):
    assert phone_key(a) == phone_key(b) != ""


def test_too_short_a_number_has_no_key():
    assert phone_key("n/a") == phone_key("12 34") == phone_key("") == phone_key(None) == ""


def test_the_sql_key_is_the_python_key(sales):
    customer = make_customer(sales, customer_name="Keyed", phone="+49 (30) 1234-5678")
    found = same_email_or_phone("Customer", {"phone": "030 12345678"})
    assert [c["name"] for c in found] == [customer.name]
    assert same_email_or_phone("Customer", {"phone": "030 12345679"}) == []


# --- the API -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "existing", "body", "field"),
    [
        ("customers", {"customer_name": "Acme", "email_id": "Sales@Acme.example"},
         {"customer_name": "ACME Inc", "email_id": "sales@acme.example"}, "email_id"),
        ("customers", {"customer_name": "Acme", "phone": "+1 (555) 010-2030"},
         {"customer_name": "Other", "mobile_no": "555 010 2030"}, "mobile_no"),
        ("contacts", {"first_name": "Jo", "email_id": "jo@acme.example"},
         {"first_name": "Joanna", "email_id": "JO@acme.example"}, "email_id"),
        ("contacts", {"first_name": "Jo", "mobile_no": "0171 2345678"},
         {"first_name": "Joanna", "phone": "+49 171 234 5678"}, "phone"),
        ("leads", {"lead_name": "Ann", "phone": "020 7946 0018"},
         {"lead_name": "Anne", "phone": "+44 20 7946 0018"}, "phone"),
    ],
)  # fmt: skip
def test_a_second_one_with_the_same_email_or_phone_is_a_409_with_the_candidates(
    sales, api_as, path, existing, body, field
):
    api = api_as(sales)
    first = api.post(path, existing)
    assert first.status_code == 201, first.content
    before = row_counts()
    r = api.post(path, body)
    assert r.status_code == 409, r.content
    error = r.json()["error"]
    assert error["code"] == "duplicate"
    assert field in error["fields"]
    assert [c["name"] for c in error["candidates"]] == [first.json()["name"]]
    assert set(error["candidates"][0]) == {
        "doctype",
        "name",
        "title",
        "email_id",
        "phone",
        "mobile_no",
    }
    assert row_counts() == before  # nothing written

    again = api.post(path, {**body, "allow_duplicate": True})
    assert again.status_code == 201, again.content
    assert "allow_duplicate" not in again.json()


def test_similar_names_alone_are_not_refused_by_the_api(sales, api_as):
    api = api_as(sales)
    assert api.post("customers", {"customer_name": "Acme Limited"}).status_code == 201
    assert api.post("customers", {"customer_name": "Acme Limited"}).status_code == 201


def test_no_email_and_no_phone_finds_nothing(sales, api_as):
    api = api_as(sales)
    assert api.post("contacts", {"first_name": "A"}).status_code == 201
    assert api.post("contacts", {"first_name": "A"}).status_code == 201


def test_duplicates_are_of_the_same_kind_only(sales, api_as):
    make_customer(sales, customer_name="Acme", email_id="hello@acme.example")
    r = api_as(sales).post("leads", {"lead_name": "Hello", "email_id": "hello@acme.example"})
    assert r.status_code == 201, r.content  # a lead of a customer's address: not a duplicate


def test_allow_duplicate_must_be_a_boolean(sales, api_as):
    r = api_as(sales).post("customers", {"customer_name": "X", "allow_duplicate": "perhaps"})
    assert r.status_code == 422
    assert "allow_duplicate" in r.json()["error"]["fields"]


# --- ERPNext's lead email rule -------------------------------------------------------------------
def test_a_lead_email_is_refused_whatever_the_body_says_while_the_setting_is_off(sales, api_as):
    lead = make_lead(sales, email_id="ada@engines.example")
    before = row_counts()
    api = api_as(sales)
    for body in (
        {"lead_name": "Ada again", "email_id": "ADA@engines.example"},
        {"lead_name": "Ada again", "email_id": "ada@engines.example", "allow_duplicate": True},
    ):
        r = api.post("leads", body)
        assert r.status_code == 409, r.content
        error = r.json()["error"]
        assert error["code"] == "duplicate"
        assert error["message"] == (
            f"Email Address must be unique, it is already used in {lead.name}."
        )
        assert list(error["fields"]) == ["email_id"]
        assert [c["name"] for c in error["candidates"]] == [lead.name]
    assert row_counts() == before


def test_with_the_setting_on_a_lead_email_is_only_a_duplicate_warning(sales, api_as):
    allow_lead_email_duplicates()
    make_lead(sales, email_id="ada@engines.example")
    api = api_as(sales)
    r = api.post("leads", {"lead_name": "Ada again", "email_id": "ada@engines.example"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate"
    assert "Send allow_duplicate" in r.json()["error"]["message"]
    r = api.post(
        "leads",
        {"lead_name": "Ada again", "email_id": "ada@engines.example", "allow_duplicate": True},
    )
    assert r.status_code == 201, r.content
    assert Lead.objects.filter(email_id="ada@engines.example").count() == 2


def test_the_lead_email_rule_holds_on_an_update_that_changes_the_address(sales, api_as):
    first = make_lead(sales, email_id="ada@engines.example")
    second = make_lead(sales, lead_name="Bob", email_id="bob@engines.example")
    api = api_as(sales)
    r = api.patch(
        f"leads/{second.name}", {"email_id": "Ada@Engines.example", "version": second.version}
    )
    assert r.status_code == 409, r.content
    assert r.json()["error"]["candidates"][0]["name"] == first.name
    assert Lead.objects.get(pk=second.pk).email_id == "bob@engines.example"
    # its own address again, or another field: no check of its own row
    r = api.patch(f"leads/{first.name}", {"lead_name": "Ada L.", "version": first.version})
    assert r.status_code == 200, r.content
    allow_lead_email_duplicates()
    r = api.patch(
        f"leads/{second.name}", {"email_id": "ada@engines.example", "version": second.version}
    )
    assert r.status_code == 200, r.content


def test_the_setting_is_in_the_settings_api(manager, api_as):
    api = api_as(manager)
    settings = api.get("settings/crm").json()
    assert settings["allow_lead_duplication_based_on_emails"] is False
    r = api.patch(
        "settings/crm",
        {"allow_lead_duplication_based_on_emails": True, "version": settings["version"]},
    )
    assert r.status_code == 200, r.content
    assert CRMSettings.objects.get().allow_lead_duplication_based_on_emails is True


def test_internal_creations_do_not_ask(sales):
    """A lead's own contact has its address (auto_creation_of_contact), and a customer made
    from a lead has it too: no duplicate check on those."""
    lead = make_lead(sales, email_id="ada@engines.example", phone="030 1234567")
    assert Contact.objects.filter(link_name=lead.name, email_id="ada@engines.example").exists()
    from opportune.crm import services

    customer = services.make_customer_from_lead(lead, by=sales)
    assert customer.email_id == "ada@engines.example"


# --- the pages -----------------------------------------------------------------------------------
def test_the_new_customer_page_shows_the_candidates_then_creates_anyway(sales):
    existing = make_customer(sales, customer_name="Acme Limited", phone="+1 555 010 2030")
    client = client_for(sales)
    form = {"customer_name": "Acme Ltd", "customer_type": "Company", "phone": "555-010-2030"}
    r = client.post("/crm/customers/new/", form)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Likely duplicates" in html
    assert existing.name in html
    assert 'name="allow_duplicate"' in html
    assert Customer.objects.count() == 1
    r = client.post("/crm/customers/new/", {**form, "allow_duplicate": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Customer.objects.count() == 2


def test_the_new_lead_page_warns_about_a_similar_name(sales):
    make_lead(sales, lead_name="Grace Hopper", company_name="", email_id="grace@navy.example")
    client = client_for(sales)
    form = {"lead_name": "Grace Hoper", "status": "Lead", "lead_owner": "sales"}
    r = client.post("/crm/leads/new/", form)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Likely duplicates" in html and "Grace Hopper" in html
    r = client.post("/crm/leads/new/", {**form, "allow_duplicate": "on"})
    assert r.status_code == 302
    assert Lead.objects.filter(lead_name="Grace Hoper").exists()


def test_the_new_lead_page_names_the_erpnext_rule_and_create_anyway_does_not_pass_it(sales):
    make_lead(sales, email_id="ada@engines.example")
    client = client_for(sales)
    form = {
        "lead_name": "Ada two",
        "email_id": "ada@engines.example",
        "status": "Lead",
        "lead_owner": "sales",
        "allow_duplicate": "on",
    }
    r = client.post("/crm/leads/new/", form)
    assert r.status_code == 200
    assert "Email Address must be unique" in r.content.decode()
    assert Lead.objects.count() == 1


def test_an_edit_page_does_not_warn(sales):
    lead = make_lead(sales, lead_name="Grace Hopper", email_id="grace@navy.example")
    make_lead(sales, lead_name="Grace Hopper", email_id="other@navy.example")
    r = client_for(sales).get(f"/crm/leads/{lead.name}/edit/")
    assert "Likely duplicates" not in r.content.decode()


# --- the queries ---------------------------------------------------------------------------------
def test_similar_names(sales):
    grace = make_lead(sales, lead_name="Grace Hopper", email_id="g@navy.example")
    make_lead(sales, lead_name="Alan Turing", email_id="a@bletchley.example")
    assert [c["name"] for c in similar_names("Lead", "Grace Hoper")] == [grace.name]
    assert similar_names("Lead", "Grace Hoper", exclude=[grace.name]) == []
    assert similar_names("Lead", "Gr") == []  # too short to compare


def test_the_duplicate_check_is_one_query_on_indexes(sales):
    for i in range(30):
        make_customer(
            sales, customer_name=f"C{i}", email_id=f"c{i}@x.example", phone=f"0301{i:07d}"
        )
    with CaptureQueriesContext(connection) as queries:
        found = same_email_or_phone(
            "Customer", {"email_id": "C7@X.example", "phone": "+49 301 0000007"}
        )
    assert len(queries) == 1
    assert [c["title"] for c in found] == ["C7"]
    sql = queries.captured_queries[0]["sql"]
    plan = _plan(sql)
    for index in ("customer_email_upper", "customer_phone_key", "customer_mobile_key"):
        assert index in plan, plan


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")  # a tiny table: ask whether it *can*
            cursor.execute(f"EXPLAIN {sql}")
            rows = cursor.fetchall()
            cursor.execute("SET enable_seqscan = on")
            return "\n".join(r[0] for r in rows)
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(r[-1]) for r in cursor.fetchall())
