"""The acceptance journey of the CRM foundation, over the API with a token, as an integration
would walk it; then a battery of bad inputs, each a clear 4xx that changes nothing."""

from __future__ import annotations

import pytest

from opportune.crm.models import Lead, Opportunity
from opportune.crm.tests.helpers import opportunity_state, row_counts
from opportune.testing import make_customer, make_item, make_opportunity, make_rate

pytestmark = pytest.mark.django_db


def test_lead_to_lost_and_back(sales, sales2, api_as):
    make_item("GEAR", rate="12.50", name="Brass gear")
    make_item("OIL", rate="4", uom="Litre", name="Machine oil")
    make_rate("EUR", "USD", "1.085")
    api = api_as(sales)

    r = api.post(
        "leads",
        {
            "lead_name": "Ada Lovelace",
            "company_name": "Analytical Engines",
            "email_id": "ada@engines.example",
            "lead_owner": "sales2",
        },
    )
    assert r.status_code == 201, r.content
    lead = r.json()["name"]

    r = api.post(
        f"leads/{lead}/make-opportunity",
        {
            "currency": "EUR",
            "expected_closing": "2099-06-30",
            "items": [
                {"item_code": "GEAR", "qty": 12},
                {"item_code": "OIL", "qty": "2.5", "rate": "3.999"},
            ],
        },
    )
    assert r.status_code == 201, r.content
    opp = r.json()
    name = opp["name"]
    assert (
        opp["opportunity_from"],
        opp["party_name"],
        opp["title"],
        opp["opportunity_owner"],
        opp["status"],
        opp["version"],
    ) == ("Lead", lead, "Analytical Engines", "sales2", "Open", 1)
    assert (opp["currency"], opp["conversion_rate"]) == ("EUR", "1.085000000")
    assert [
        (
            i["item_code"],
            i["item_name"],
            i["qty"],
            i["uom"],
            i["rate"],
            i["amount"],
            i["base_rate"],
            i["base_amount"],
        )
        for i in opp["items"]
    ] == [
        ("GEAR", "Brass gear", "12.000000", "Nos", "12.50", "150.00", "13.56", "162.75"),
        ("OIL", "Machine oil", "2.500000", "Litre", "4.00", "10.00", "4.34", "10.85"),
    ]
    assert (opp["total"], opp["base_total"]) == ("160.00", "173.60")
    assert (opp["opportunity_amount"], opp["base_opportunity_amount"]) == ("160.00", "173.60")
    assert api.get(f"leads/{lead}").json()["status"] == "Opportunity"

    # someone else edits; our stale edit is refused and changes nothing
    r = api_as(sales2).patch(f"opportunities/{name}", {"version": 1, "probability": 60})
    assert (r.status_code, r.json()["version"]) == (200, 2)
    before = opportunity_state(name)
    r = api.patch(f"opportunities/{name}", {"version": 1, "probability": 20, "items": []})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    assert opportunity_state(name) == before

    r = api.patch(
        f"opportunities/{name}",
        {"items": [{"item_code": "GEAR", "qty": 20}]},
        headers={"If-Match": "2"},
    )
    assert r.status_code == 200, r.content
    assert (
        r.json()["total"],
        r.json()["base_total"],
        r.json()["opportunity_amount"],
        r.json()["probability"],
        r.json()["version"],
    ) == ("250.00", "271.25", "250.00", "60.00", 3)

    r = api.post(
        f"opportunities/{name}/declare-lost",
        {
            "lost_reasons": ["Too expensive", "Chose a competitor"],
            "order_lost_reason": "Went with a cheaper supplier",
            "version": 3,
        },
    )
    assert r.status_code == 200, r.content
    lost = r.json()
    assert (lost["status"], lost["lost_reasons"], lost["order_lost_reason"], lost["version"]) == (
        "Lost",
        ["Chose a competitor", "Too expensive"],
        "Went with a cheaper supplier",
        4,
    )
    assert api.get("opportunities", status="Lost").json()["results"][0]["name"] == name

    r = api.post(f"opportunities/{name}/reopen", {"version": 4})
    assert r.status_code == 200, r.content
    reopened = r.json()
    assert (
        reopened["status"],
        reopened["lost_reasons"],
        reopened["order_lost_reason"],
        reopened["version"],
    ) == ("Open", [], "", 5)

    timeline = api.get(f"opportunities/{name}/timeline").json()
    assert timeline[-1]["kind"] == "created"
    assert any(
        e["summary"].startswith("Declared lost: Too expensive, Chose a competitor")
        for e in timeline
    )
    assert Lead.objects.get(pk=lead).status == Lead.Status.OPPORTUNITY


@pytest.fixture
def target(sales):
    make_item("GEAR", rate="12.50")
    make_rate("EUR", "USD", "1.085")
    customer = make_customer(sales)
    return make_opportunity(
        sales, customer, currency="EUR", items=[{"item_code": "GEAR", "qty": 2}]
    )


GOOD_ITEM = {"item_code": "GEAR", "qty": 1}

BAD_CREATES = [
    ({"items": [{"item_code": "GEAR", "qty": -1}]}, "items[0].qty"),
    ({"items": [{"item_code": "GEAR", "qty": 0}]}, "items[0].qty"),
    ({"items": [{"item_code": "GEAR", "qty": "abc"}]}, "items[0].qty"),
    ({"items": [{"item_code": "GEAR", "qty": True}]}, "items[0].qty"),
    ({"items": [{"item_code": "GEAR", "qty": 1e30}]}, "items[0].qty"),
    ({"items": [{"item_code": "GEAR", "rate": 1e30}]}, "items[0].rate"),
    ({"items": [{"item_code": "GEAR", "rate": "1e30"}]}, "items[0].rate"),
    ({"items": [{"item_code": "GEAR", "rate": "NaN"}]}, "items[0].rate"),
    ({"items": [{"item_code": "GEAR", "rate": "Infinity"}]}, "items[0].rate"),
    ({"items": [{"item_code": "GEAR", "rate": -0.01}]}, "items[0].rate"),
    ({"items": [GOOD_ITEM, {"item_code": "NOPE"}]}, "items[1].item_code"),
    ({"items": [{"item_code": None}]}, "items[0].item_code"),
    ({"items": [GOOD_ITEM] * 501}, "items"),
    ({"probability": 150}, "probability"),
    ({"probability": -0.5}, "probability"),
    ({"probability": "high"}, "probability"),
    ({"currency": "ZZZ"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "CHF"}, "conversion_rate"),
    ({"conversion_rate": 0, "currency": "EUR"}, "conversion_rate"),
    ({"conversion_rate": 1e30, "currency": "EUR"}, "conversion_rate"),
    ({"opportunity_amount": 1e30}, "opportunity_amount"),
    ({"opportunity_amount": -1}, "opportunity_amount"),
    ({"opportunity_amount": 123456789012345678}, "opportunity_amount"),
    ({"opportunity_type": None}, "opportunity_type"),
    ({"opportunity_type": ""}, "opportunity_type"),
    ({"transaction_date": None}, "transaction_date"),
    ({"transaction_date": "2024-02-30"}, "transaction_date"),
    ({"expected_closing": "2000-01-01", "transaction_date": "2024-01-01"}, "expected_closing"),
    ({"contact_date": "2000-01-01T10:00:00Z"}, "contact_date"),
    ({"contact_email": "nope"}, "contact_email"),
    ({"opportunity_owner": "ghost"}, "opportunity_owner"),
    ({"sales_stage": "Nirvana"}, "sales_stage"),
    ({"title": "x" * 141}, "title"),
    ({"status": "Converted"}, "status"),
    ({"unknown_field": 1}, "unknown_field"),
    ({"total": "100"}, "total"),
    ({"name": "CRM-OPP-1999-00001"}, "name"),
]


@pytest.mark.parametrize(("data", "field"), BAD_CREATES)
def test_bad_create_is_422_and_creates_nothing(sales, api_as, data, field):
    make_item("GEAR", rate="12.50")
    make_rate("EUR", "USD", "1.085")
    customer = make_customer(sales)
    before = row_counts()
    r = api_as(sales).post(
        "opportunities", {"opportunity_from": "Customer", "party_name": customer.name, **data}
    )
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"opportunity_from": "Customer"}, "party_name"),
        ({"party_name": "Babbage Ltd"}, "opportunity_from"),
        ({}, "party_name"),
        ({"opportunity_from": "Customer", "party_name": None}, "party_name"),
        ({"opportunity_from": "Customer", "party_name": "Nobody"}, "party_name"),
        ({"opportunity_from": "Supplier", "party_name": "Babbage Ltd"}, "opportunity_from"),
        ({"opportunity_from": None, "party_name": "Babbage Ltd"}, "opportunity_from"),
    ],
)
def test_missing_or_wrong_party_is_422(sales, api_as, data, field):
    make_customer(sales)
    before = row_counts()
    r = api_as(sales).post("opportunities", data)
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        *BAD_CREATES,
        ({"with_items": False}, "with_items"),
        ({"version": "one"}, "version"),
        ({"party_name": None}, "party_name"),
    ],
)
def test_bad_patch_is_422_and_changes_nothing(target, sales, api_as, data, field):
    before, counts = opportunity_state(target.name), row_counts()
    body = {"version": 1, **data}
    r = api_as(sales).patch(f"opportunities/{target.name}", body)
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert opportunity_state(target.name) == before
    assert row_counts() == counts


def test_wrong_content_is_4xx(target, sales, api_as):
    api = api_as(sales)
    before, counts = opportunity_state(target.name), row_counts()
    for payload in ("[1, 2]", "null", '"text"', "{bad json"):
        r = api.client.post(
            "/api/v1/opportunities", payload, content_type="application/json", headers=api.headers
        )
        assert 400 <= r.status_code < 500, (payload, r.status_code)
        assert "error" in r.json()
    r = api.client.post(
        "/api/v1/opportunities", "a=b", content_type="text/plain", headers=api.headers
    )
    assert 400 <= r.status_code < 500
    assert opportunity_state(target.name) == before
    assert row_counts() == counts
    assert Opportunity.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path", "data", "field"),
    [
        ("patch", "opportunities/{name}", {"version": 1, "title": "a\x00b"}, "title"),
        (
            "patch",
            "opportunities/{name}",
            {"version": 1, "items": [{"item_code": "GEAR", "description": "a\x00b"}]},
            "items[0].description",
        ),
        ("post", "opportunities/{name}/declare-lost", {"lost_reasons": ["a\x00b"]}, "lost_reasons"),
        ("post", "opportunities/{name}/comments", {"content": "a\x00b"}, "content"),
        ("post", "leads", {"lead_name": "a\x00b"}, "lead_name"),
        ("post", "customers", {"customer_name": "a\x00b"}, "customer_name"),
        ("get", "opportunities", {"q": "a\x00b"}, "q"),
        ("get", "opportunities", {"status": "a\x00b"}, "status"),
        ("get", "leads", {"email_id": "a\x00b"}, "email_id"),
    ],
)
def test_nul_characters_are_422_on_every_database(target, sales, api_as, method, path, data, field):
    """PostgreSQL cannot store NUL: refused as bad input, never a 500."""
    before, counts = opportunity_state(target.name), row_counts()
    api = api_as(sales)
    url = path.format(name=target.name)
    r = api.get(url, **data) if method == "get" else getattr(api, method)(url, data)
    assert r.status_code == 422, r.content
    assert r.json()["error"]["fields"] == {field: ["Text cannot contain NUL characters."]}
    assert opportunity_state(target.name) == before
    assert row_counts() == counts


@pytest.mark.parametrize(
    "path",
    [
        "opportunities/a%00b",
        "leads/a%00b",
        "customers/a%00b",
        "contacts/a%00b",
        "opportunities/a%00b/timeline",
    ],
)
def test_nul_in_a_path_is_404(sales, api_as, path):
    r = api_as(sales).get(path)
    assert r.status_code == 404, r.content
