"""The opportunity endpoints: exact answers, auth, permissions, errors, and that a refused request
changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from opportune.crm import services as crm
from opportune.crm.models import Competitor, Customer, Lead, Opportunity
from opportune.crm.tests.helpers import fake_probe, opportunity_state, row_counts
from opportune.testing import make_customer, make_item, make_lead, make_opportunity, make_rate

pytestmark = pytest.mark.django_db
S = Opportunity.Status


def error_fields(response, status=422, code="validation_error"):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error["fields"]


@pytest.fixture
def opp(sales):
    make_item("W1", rate="10")
    make_item("W2", rate="3", uom="Kg")
    return make_opportunity(
        sales, items=[{"item_code": "W1", "qty": 2}, {"item_code": "W2", "qty": Decimal("1.5")}]
    )


# --- create and read -----------------------------------------------------------------------------
def test_create_answers_the_whole_document(sales, api_as):
    make_item("W1", rate="10", name="Widget")
    make_rate("EUR", "USD", "1.1")
    customer = make_customer(sales, email_id="office@babbage.example")
    r = api_as(sales).post(
        "opportunities",
        {
            "opportunity_from": "Customer",
            "party_name": customer.name,
            "currency": "EUR",
            "opportunity_owner": "sales",
            "expected_closing": "2099-01-31",
            "to_discuss": "Price",
            "items": [
                {"item_code": "W1", "qty": 2},
                {"item_code": "W1", "qty": "0.5", "uom": "Kg", "rate": "7.125"},
            ],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    opp = Opportunity.objects.get(pk=body["name"])
    assert body == {
        "name": opp.name,
        "version": 1,
        "creation": body["creation"],
        "modified": body["modified"],
        "owner": "sales",
        "modified_by": "sales",
        "opportunity_from": "Customer",
        "party_name": "Babbage Ltd",
        "customer_name": "Babbage Ltd",
        "title": "Babbage Ltd",
        "opportunity_type": "Sales",
        "status": "Open",
        "sales_stage": "Prospecting",
        "source": None,
        "campaign": None,
        "opportunity_owner": "sales",
        "transaction_date": opp.transaction_date.isoformat(),
        "expected_closing": "2099-01-31",
        "probability": "10.00",
        "win_probability": None,  # no model trained yet (reports.win_model)
        "win_factors": [],
        "currency": "EUR",
        "conversion_rate": "1.100000000",
        "opportunity_amount": "23.57",
        "base_opportunity_amount": "25.93",
        "with_items": True,
        "items": [
            {
                "idx": 1,
                "item_code": "W1",
                "item_name": "Widget",
                "description": "",
                "qty": "2.000000",
                "uom": "Nos",
                "rate": "10.00",
                "amount": "20.00",
                "base_rate": "11.00",
                "base_amount": "22.00",
            },
            {
                "idx": 2,
                "item_code": "W1",
                "item_name": "Widget",
                "description": "",
                "qty": "0.500000",
                "uom": "Kg",
                "rate": "7.13",
                "amount": "3.57",
                "base_rate": "7.84",
                "base_amount": "3.93",
            },
        ],
        "total": "23.57",
        "base_total": "25.93",
        "contact_person": None,
        "contact_display": "",
        "contact_email": "office@babbage.example",
        "contact_mobile": "",
        "phone": "",
        "job_title": "",
        "territory": None,
        "customer_group": None,
        "industry": None,
        "contact_date": None,
        "contact_by": None,
        "to_discuss": "Price",
        "lost_reasons": [],
        "competitors": [],
        "order_lost_reason": "",
        "first_responded_on": None,
        "mins_to_first_response": None,
        "business_mins_to_first_response": None,
    }


def test_money_uses_the_currency_decimals(sales, api_as):
    make_item("W", rate="0")
    make_rate("JPY", "USD", "0.0067")
    make_rate("KWD", "USD", "3.25")
    customer = make_customer(sales)
    api = api_as(sales)
    base = {"opportunity_from": "Customer", "party_name": customer.name}
    jpy = api.post(
        "opportunities",
        {**base, "currency": "JPY", "items": [{"item_code": "W", "qty": 3, "rate": "100.4"}]},
    )
    assert jpy.status_code == 201, jpy.content
    jpy = jpy.json()
    assert (jpy["total"], jpy["opportunity_amount"], jpy["base_total"]) == ("300", "300", "2.01")
    assert (jpy["items"][0]["rate"], jpy["items"][0]["amount"]) == ("100", "300")
    kwd = api.post(
        "opportunities",
        {**base, "currency": "KWD", "items": [{"item_code": "W", "qty": 3, "rate": "1.2345"}]},
    )
    kwd = kwd.json()
    assert (kwd["total"], kwd["items"][0]["rate"], kwd["base_total"]) == ("3.705", "1.235", "12.04")


def test_get(opp, sales, purchaser, api_as):
    for user in (sales, purchaser):
        r = api_as(user).get(f"opportunities/{opp.name}")
        assert r.status_code == 200, r.content
        body = r.json()
        assert (body["name"], body["total"], len(body["items"])) == (opp.name, "24.50", 2)


def test_outsider_reading_sees_nothing(opp, outsider, api_as):
    api = api_as(outsider)
    for path in (
        f"opportunities/{opp.name}",
        f"opportunities/{opp.name}/timeline",
        f"opportunities/{opp.name}/comments",
    ):
        assert error_fields(api.get(path), 404, "not_found") == {}
    assert api.get("opportunities").json() == {"results": [], "next_cursor": None, "count": None}


def test_outsider_and_unknown_name_answer_the_same(opp, outsider, sales, api_as):
    mine = api_as(outsider).get(f"opportunities/{opp.name}")
    unknown = api_as(sales).get("opportunities/CRM-OPP-1999-00001")
    assert mine.status_code == unknown.status_code == 404
    assert mine.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"


# --- auth ----------------------------------------------------------------------------------------
ENDPOINTS = [
    ("get", "opportunities"),
    ("post", "opportunities"),
    ("get", "opportunities/{name}"),
    ("patch", "opportunities/{name}"),
    ("delete", "opportunities/{name}"),
    ("post", "opportunities/{name}/declare-lost"),
    ("post", "opportunities/{name}/reopen"),
    ("post", "opportunities/{name}/make-customer"),
    ("get", "opportunities/{name}/timeline"),
    ("get", "opportunities/{name}/comments"),
    ("post", "opportunities/{name}/comments"),
    ("get", "leads"),
    ("post", "leads"),
    ("get", "leads/{lead}"),
    ("patch", "leads/{lead}"),
    ("delete", "leads/{lead}"),
    ("post", "leads/{lead}/make-opportunity"),
    ("post", "leads/{lead}/make-customer"),
    ("get", "customers"),
    ("post", "customers"),
    ("get", "customers/{customer}"),
    ("patch", "customers/{customer}"),
    ("delete", "customers/{customer}"),
    ("get", "contacts"),
    ("post", "contacts"),
    ("get", "contacts/x"),
    ("patch", "contacts/x"),
    ("delete", "contacts/x"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_authentication(opp, sales, api_as, method, path):
    lead = make_lead(sales)
    url = path.format(name=opp.name, lead=lead.name, customer=opp.party_name)
    before = row_counts()
    fields = error_fields(getattr(api_as(None), method)(url), 401, "not_authenticated")
    assert fields == {}
    assert row_counts() == before


def test_a_wrong_token_is_401(opp, api_as):
    api = api_as(None)
    api.headers["Authorization"] = "Bearer not-a-token"
    error_fields(api.get(f"opportunities/{opp.name}"), 401, "not_authenticated")


WRITES = [
    ("patch", "opportunities/{name}", {"title": "x", "version": 1}),
    ("delete", "opportunities/{name}", None),
    ("post", "opportunities/{name}/declare-lost", {"lost_reasons": ["Timing"], "version": 1}),
    ("post", "opportunities/{name}/reopen", {"version": 1}),
    ("post", "opportunities/{name}/make-customer", None),
    ("post", "opportunities/{name}/comments", {"content": "hello"}),
]


@pytest.mark.parametrize(("method", "path", "data"), WRITES)
def test_purchase_user_may_read_but_not_write(opp, purchaser, api_as, method, path, data):
    before, counts = opportunity_state(opp.name), row_counts()
    api = api_as(purchaser)
    url = path.format(name=opp.name)
    r = api.delete(url) if method == "delete" else getattr(api, method)(url, data)
    error_fields(r, 403, "permission_denied")
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


@pytest.mark.parametrize(("method", "path", "data"), WRITES)
def test_outsider_writing_gets_404(opp, outsider, api_as, method, path, data):
    before, counts = opportunity_state(opp.name), row_counts()
    api = api_as(outsider)
    url = path.format(name=opp.name)
    r = api.delete(url) if method == "delete" else getattr(api, method)(url, data)
    error_fields(r, 404, "not_found")
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


@pytest.mark.parametrize("user", ["purchaser", "outsider"])
def test_only_sales_may_create(request, user, sales, api_as):
    customer = make_customer(sales)
    before = row_counts()
    r = api_as(request.getfixturevalue(user)).post(
        "opportunities", {"opportunity_from": "Customer", "party_name": customer.name}
    )
    error_fields(r, 403, "permission_denied")
    assert row_counts() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/declare-lost"),
        ("post", "/reopen"),
        ("post", "/make-customer"),
        ("get", "/timeline"),
        ("get", "/comments"),
        ("post", "/comments"),
    ],
)
def test_unknown_name_is_404(sales, api_as, method, path):
    api = api_as(sales)
    url = f"opportunities/CRM-OPP-1999-00001{path}"
    data: dict[str, object] = (
        {"lost_reasons": ["Timing"], "version": 1}
        if "lost" in path
        else ({"content": "x"} if "comments" in path else {"version": 1})
    )
    r = (
        api.delete(url)
        if method == "delete"
        else (api.get(url) if method == "get" else getattr(api, method)(url, data))
    )
    assert r.status_code == 404, r.content
    assert r.json()["error"]["code"] == "not_found"


# --- update --------------------------------------------------------------------------------------
def test_patch_with_body_version(opp, sales, api_as):
    r = api_as(sales).patch(
        f"opportunities/{opp.name}",
        {
            "version": 1,
            "title": "Renamed",
            "sales_stage": "Negotiation/Review",
            "items": [{"item_code": "W1", "qty": 5}],
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["version"],
        body["title"],
        body["probability"],
        body["total"],
        body["opportunity_amount"],
        len(body["items"]),
    ) == (2, "Renamed", "90.00", "50.00", "50.00", 1)
    assert Opportunity.objects.get(pk=opp.pk).version == 2


def test_patch_with_if_match(opp, sales, api_as):
    api = api_as(sales)
    r = api.patch(f"opportunities/{opp.name}", {"title": "A"}, headers={"If-Match": '"1"'})
    assert (r.status_code, r.json()["version"]) == (200, 2)
    r = api.patch(f"opportunities/{opp.name}", {"title": "B"}, headers={"If-Match": 'W/"2"'})
    assert (r.status_code, r.json()["title"]) == (200, "B")


@pytest.mark.parametrize("how", ["body", "if-match"])
def test_stale_patch_is_409_and_changes_nothing(opp, sales, sales2, api_as, how):
    crm.update_opportunity(opp, data={"title": "Someone else"}, version=1, by=sales2)
    before, counts = opportunity_state(opp.name), row_counts()
    data: dict[str, object] = {"title": "Mine", "items": []}
    headers = None
    if how == "body":
        data["version"] = 1
    else:
        headers = {"If-Match": "1"}
    r = api_as(sales).patch(f"opportunities/{opp.name}", data, headers=headers)
    fields = error_fields(r, 409, "conflict")
    assert fields == {"version": ["stale version"]}
    assert "version 1" in r.json()["error"]["message"]
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


def test_patch_without_version_is_422(opp, sales, api_as):
    before = opportunity_state(opp.name)
    fields = error_fields(api_as(sales).patch(f"opportunities/{opp.name}", {"title": "x"}))
    assert list(fields) == ["version"]
    fields = error_fields(
        api_as(sales).patch(
            f"opportunities/{opp.name}", {"title": "x"}, headers={"If-Match": "abc"}
        )
    )
    assert list(fields) == ["version"]
    assert opportunity_state(opp.name) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"probability": 150}, "probability"),
        ({"probability": "abc"}, "probability"),
        ({"opportunity_amount": -5}, "opportunity_amount"),
        ({"opportunity_amount": 1e30}, "opportunity_amount"),
        ({"currency": "ZZZ"}, "currency"),
        ({"opportunity_type": None}, "opportunity_type"),
        ({"opportunity_type": "Nope"}, "opportunity_type"),
        ({"sales_stage": "Nope"}, "sales_stage"),
        ({"opportunity_owner": "nobody"}, "opportunity_owner"),
        ({"transaction_date": None}, "transaction_date"),
        ({"transaction_date": "31/01/2020"}, "transaction_date"),
        ({"with_items": False}, "with_items"),
        ({"with_items": "maybe"}, "with_items"),
        ({"status": "Converted"}, "status"),
        ({"status": "Lost"}, "status"),
        ({"status": "Whatever"}, "status"),
        ({"party_name": "Nobody"}, "party_name"),
        ({"opportunity_from": "Supplier"}, "opportunity_from"),
        ({"items": [{"item_code": "W1", "qty": "abc"}]}, "items[0].qty"),
        ({"items": [{"item_code": "W1", "qty": -1}]}, "items[0].qty"),
        ({"items": [{"item_code": "W1", "qty": 1.5}]}, "items[0].qty"),
        ({"items": [{"item_code": "W1", "rate": 1e30}]}, "items[0].rate"),
        ({"items": [{"item_code": "W1", "qty": 1e30}]}, "items[0].qty"),
        ({"items": [{"item_code": "W1"}, {"item_code": "NOPE"}]}, "items[1].item_code"),
        ({"items": [{"item_code": "W1", "uom": "Furlong"}]}, "items[0].uom"),
        ({"items": [{"item_code": "W1", "amount": 5}]}, "items[0].amount"),
        ({"items": [{}]}, "items[0].item_code"),
        ({"items": "W1"}, "items"),
        ({"total": "5"}, "total"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_patch_is_422_naming_the_field(opp, sales, api_as, data, field):
    before, counts = opportunity_state(opp.name), row_counts()
    r = api_as(sales).patch(f"opportunities/{opp.name}", {**data, "version": 1})
    fields = error_fields(r)
    assert field in fields, fields
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


def test_malformed_json_is_4xx(opp, sales, api_as):
    api = api_as(sales)
    before = opportunity_state(opp.name)
    r = api.client.patch(
        f"/api/v1/opportunities/{opp.name}",
        "{not json",
        content_type="application/json",
        headers=api.headers,
    )
    assert 400 <= r.status_code < 500
    assert "error" in r.json()
    assert opportunity_state(opp.name) == before


def test_delete(opp, sales, api_as):
    r = api_as(sales).delete(f"opportunities/{opp.name}")
    assert r.status_code == 204
    assert not Opportunity.objects.filter(pk=opp.pk).exists()


def test_delete_with_quotation_is_409(opp, sales, api_as):
    counts = row_counts()
    with fake_probe() as probe:
        probe.active.add(opp.name)
        error_fields(api_as(sales).delete(f"opportunities/{opp.name}"), 409, "conflict")
    assert row_counts() == counts


# --- lost, reopen --------------------------------------------------------------------------------
def test_declare_lost_and_reopen(opp, sales, api_as):
    Competitor.objects.create(name="Acme")
    api = api_as(sales)
    r = api.post(
        f"opportunities/{opp.name}/declare-lost",
        {
            "lost_reasons": ["Too expensive", "Timing"],
            "competitors": ["Acme"],
            "order_lost_reason": "Budget cut",
            "version": 1,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["status"],
        body["lost_reasons"],
        body["competitors"],
        body["order_lost_reason"],
        body["version"],
    ) == ("Lost", ["Timing", "Too expensive"], ["Acme"], "Budget cut", 2)
    r = api.post(f"opportunities/{opp.name}/reopen", {"version": 2})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["status"],
        body["lost_reasons"],
        body["competitors"],
        body["order_lost_reason"],
        body["version"],
    ) == ("Open", [], [], "", 3)


def test_reopen_with_if_match_and_without_body(opp, sales, api_as):
    crm.set_opportunity_status(opp, status=S.CLOSED, version=1, by=sales)
    r = api_as(sales).post(f"opportunities/{opp.name}/reopen", None, headers={"If-Match": "2"})
    assert (r.status_code, r.json()["status"]) == (200, "Open")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"lost_reasons": []}, "lost_reasons"),
        ({}, "lost_reasons"),
        ({"lost_reasons": ["Made up"]}, "lost_reasons"),
        ({"lost_reasons": ["Timing"], "competitors": ["Nobody"]}, "competitors"),
        ({"lost_reasons": "Timing"}, "lost_reasons"),
        ({"lost_reasons": ["Timing"], "extra": 1}, "extra"),
    ],
)
def test_declare_lost_bad_input(opp, sales, api_as, data, field):
    before, counts = opportunity_state(opp.name), row_counts()
    r = api_as(sales).post(f"opportunities/{opp.name}/declare-lost", {**data, "version": 1})
    assert field in error_fields(r)
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


def test_declare_lost_on_converted_is_409(opp, sales, api_as):
    with fake_probe() as probe:
        probe.ordered.add(opp.name)
        crm.recompute_opportunity_status(opp)
    before, counts = opportunity_state(opp.name), row_counts()
    r = api_as(sales).post(
        f"opportunities/{opp.name}/declare-lost",
        {"lost_reasons": ["Timing"], "version": before["version"]},
    )
    error_fields(r, 409, "conflict")
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


def test_declare_lost_with_active_quotation_is_409(opp, sales, api_as):
    before = opportunity_state(opp.name)
    with fake_probe() as probe:
        probe.active.add(opp.name)
        r = api_as(sales).post(
            f"opportunities/{opp.name}/declare-lost", {"lost_reasons": ["Timing"], "version": 1}
        )
    error_fields(r, 409, "conflict")
    assert opportunity_state(opp.name) == before


def test_stale_declare_lost_is_409(opp, sales, api_as):
    crm.update_opportunity(opp, data={"title": "x"}, version=1, by=sales)
    before = opportunity_state(opp.name)
    r = api_as(sales).post(
        f"opportunities/{opp.name}/declare-lost", {"lost_reasons": ["Timing"], "version": 1}
    )
    error_fields(r, 409, "conflict")
    assert opportunity_state(opp.name) == before


def test_reopen_open_is_409(opp, sales, api_as):
    before = opportunity_state(opp.name)
    fields = error_fields(
        api_as(sales).post(f"opportunities/{opp.name}/reopen", {"version": 1}), 409, "conflict"
    )
    assert fields == {"status": ["is Open"]}
    assert opportunity_state(opp.name) == before


# --- make customer -------------------------------------------------------------------------------
def test_make_customer_from_lead_opportunity(sales, api_as):
    lead = make_lead(sales)
    opp = make_opportunity(sales, lead)
    api = api_as(sales)
    r = api.post(f"opportunities/{opp.name}/make-customer")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["name"],
        body["customer_name"],
        body["lead_name"],
        body["opportunity_name"],
        body["default_currency"],
        body["customer_type"],
    ) == ("Analytical Engines", "Analytical Engines", lead.name, opp.name, "USD", "Company")
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONVERTED
    counts = row_counts()
    error_fields(api.post(f"opportunities/{opp.name}/make-customer"), 409, "conflict")
    assert row_counts() == counts


def test_make_customer_from_customer_opportunity_is_409(opp, sales, api_as):
    counts = row_counts()
    error_fields(api_as(sales).post(f"opportunities/{opp.name}/make-customer"), 409, "conflict")
    assert row_counts() == counts
    assert Customer.objects.count() == 1


# --- timeline and comments -----------------------------------------------------------------------
def test_timeline_newest_first(sales, sales2, api_as):
    make_item("W1", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W1"}])
    crm.update_opportunity(
        opp, data={"title": "Renamed", "sales_stage": "Qualification"}, version=1, by=sales2
    )
    crm.add_opportunity_comment(opp, content="Called them", by=sales)
    crm.declare_opportunity_lost(
        opp, lost_reasons=["Timing"], detail="Too late", version=2, by=sales2
    )
    r = api_as(sales).get(f"opportunities/{opp.name}/timeline")
    assert r.status_code == 200, r.content
    entries = r.json()
    summary = [(e["kind"], e["user"], e["summary"]) for e in entries]
    assert summary == [
        ("info", "sales2", "Declared lost: Timing. Too late"),
        ("change", "sales2", "changed order_lost_reason, status"),
        ("comment", "sales", "Called them"),
        ("change", "sales2", "changed probability, sales_stage, title"),
        ("created", "sales", "Opportunity created"),
    ]
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True)
    changes = {(c["field"], c["old"], c["new"]) for c in entries[-2]["data"]["changes"]}
    assert changes == {
        ("title", "Babbage Ltd", "Renamed"),
        ("probability", "10.00", "20.00"),
        ("sales_stage", "Prospecting", "Qualification"),
    }
    assert entries[1]["data"]["changes"] == [
        {"field": "order_lost_reason", "old": "", "new": "Too late"},
        {"field": "status", "old": "Open", "new": "Lost"},
    ]
    comment = next(e for e in entries if e["kind"] == "comment")
    assert comment["data"]["comment_type"] == "Comment"


def test_timeline_shows_item_changes(opp, sales, api_as):
    crm.update_opportunity(
        opp, data={"items": [{"item_code": "W1", "qty": 3}]}, version=1, by=sales
    )
    entries = api_as(sales).get(f"opportunities/{opp.name}/timeline").json()
    info = [e for e in entries if e["kind"] == "info"]
    assert [e["summary"] for e in info] == [
        "Items changed: removed W1 2 Nos at 10; W2 1.5 Kg at 3, added W1 3 Nos at 10"
    ]


def test_comments(opp, sales, manager, api_as):
    api = api_as(sales)
    r = api.post(f"opportunities/{opp.name}/comments", {"content": "First"})
    assert r.status_code == 201, r.content
    first = r.json()
    assert (first["content"], first["owner"], first["comment_type"]) == (
        "First",
        "sales",
        "Comment",
    )
    api_as(manager).post(f"opportunities/{opp.name}/comments", {"content": "Second"})
    crm.update_opportunity(opp, data={"items": []}, version=1, by=sales)  # an Info note
    r = api.get(f"opportunities/{opp.name}/comments")
    assert r.status_code == 200
    assert [(c["content"], c["owner"]) for c in r.json()] == [
        ("Second", "manager"),
        ("First", "sales"),
    ]


@pytest.mark.parametrize("data", [{"content": ""}, {}, {"content": "   "}, {"content": 5}])
def test_bad_comment(opp, sales, api_as, data):
    counts = row_counts()
    assert "content" in error_fields(api_as(sales).post(f"opportunities/{opp.name}/comments", data))
    assert row_counts() == counts


# --- session auth ----------------------------------------------------------------------------
def test_session_auth_needs_the_csrf_token(sales):
    customer = make_customer(sales)
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)
    body = {"opportunity_from": "Customer", "party_name": customer.name}
    assert client.get("/api/v1/opportunities").status_code == 200
    counts = row_counts()
    r = client.post("/api/v1/opportunities", body, content_type="application/json")
    assert r.status_code == 403, r.content
    assert row_counts() == counts
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    r = client.post(
        "/api/v1/opportunities",
        body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 201, r.content
    assert r.json()["owner"] == "sales"


def test_inactive_session_user_is_401(sales):
    client = Client()
    client.force_login(sales)
    sales.is_active = False
    sales.save()
    assert client.get("/api/v1/opportunities").status_code == 401


# --- times ---------------------------------------------------------------------------------------
def test_naive_contact_date_is_read_in_the_current_time_zone(sales, api_as):
    customer = make_customer(sales)
    api = api_as(sales)
    base = {"opportunity_from": "Customer", "party_name": customer.name}
    r = api.post(
        "opportunities", {**base, "contact_date": "2999-01-01T10:00:00", "contact_by": "sales"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["contact_date"] == "2999-01-01T10:00:00Z"
    counts = row_counts()
    r = api.post("opportunities", {**base, "contact_date": "2001-01-01T10:00:00"})
    assert list(error_fields(r)) == ["contact_date"]
    assert row_counts() == counts
