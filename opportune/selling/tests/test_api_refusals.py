"""Bad input answers clearly (4xx naming the field or state) and changes nothing; access."""

from __future__ import annotations

import pytest

from opportune.buying.models import RequestForQuotation, SupplierQuotation
from opportune.selling import services
from opportune.selling.models import Quotation, SalesOrder
from opportune.selling.tests.helpers import submitted_quotation, world_state
from opportune.testing import make_customer, make_item, make_lead, make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(sales):
    make_item("W1", rate="10")
    return make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}])


@pytest.fixture
def draft(opp, sales):
    return services.make_quotation_from_opportunity(opp, by=sales)


def _refused(response, status, *, field=None, code=None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    if field:
        assert field in error["fields"], error
    if code:
        assert error["code"] == code
    return error


def test_submitting_without_items_is_refused(sales, api_as):
    q = services.create_quotation(
        data={"quotation_to": "Customer", "party_name": make_customer(sales).name}, by=sales
    )
    before = world_state((Quotation, q.name))
    error = _refused(api_as(sales).post(f"quotations/{q.name}/submit"), 422, field="items")
    assert "at least one item" in error["message"]
    assert world_state((Quotation, q.name)) == before


@pytest.mark.parametrize(
    ("row", "field", "text"),
    [
        ({"item_code": "W1", "qty": -1}, "items[0].qty", "greater than 0"),
        ({"item_code": "W1", "qty": 0}, "items[0].qty", "greater than 0"),
        ({"item_code": "W1", "rate": "-5"}, "items[0].rate", "cannot be negative"),
        ({"item_code": "NOPE"}, "items[0].item_code", "does not exist"),
        ({"item_code": "W1", "uom": "Parsec"}, "items[0].uom", "does not exist"),
    ],
)
def test_bad_item_rows_are_refused_by_field(sales, api_as, draft, row, field, text):
    before = world_state((Quotation, draft.name))
    error = _refused(
        api_as(sales).patch(f"quotations/{draft.name}", {"version": draft.version, "items": [row]}),
        422,
        field=field,
    )
    assert text in error["fields"][field][0]
    assert world_state((Quotation, draft.name)) == before


def test_bad_header_values_are_refused(sales, api_as, draft):
    before = world_state((Quotation, draft.name))
    api = api_as(sales)
    _refused(
        api.patch(f"quotations/{draft.name}", {"version": draft.version, "tax_rate": "120"}),
        422,
        field="tax_rate",
    )
    _refused(
        api.patch(
            f"quotations/{draft.name}", {"version": draft.version, "valid_till": "2000-01-01"}
        ),
        422,
        field="valid_till",
    )
    _refused(
        api.patch(f"quotations/{draft.name}", {"version": draft.version, "party_name": "Nobody"}),
        422,
        field="party_name",
    )
    _refused(
        api.patch(f"quotations/{draft.name}", {"version": draft.version, "bogus": 1}),
        422,
        field="bogus",
    )
    assert world_state((Quotation, draft.name)) == before


def test_a_stale_version_is_refused(sales, api_as, draft):
    api = api_as(sales)
    assert (
        api.patch(f"quotations/{draft.name}", {"version": draft.version, "terms": "A"}).status_code
        == 200
    )
    before = world_state((Quotation, draft.name))
    _refused(
        api.patch(f"quotations/{draft.name}", {"version": draft.version, "terms": "B"}),
        409,
        field="version",
        code="conflict",
    )
    assert world_state((Quotation, draft.name)) == before


def test_a_delete_names_the_version_it_read(sales, api_as, draft):
    """A delete is a write like any other: a stale If-Match (or ?version=) is a 409 that
    deletes nothing; the current one deletes."""
    api = api_as(sales)
    api.patch(f"quotations/{draft.name}", {"version": draft.version, "terms": "changed"})
    before = world_state((Quotation, draft.name))
    stale = str(draft.version)
    _refused(
        api.delete(f"quotations/{draft.name}", headers={"If-Match": stale}), 409, code="conflict"
    )
    _refused(
        api.client.delete(f"/api/v1/quotations/{draft.name}?version={stale}", headers=api.headers),
        409,
    )
    assert world_state((Quotation, draft.name)) == before
    current = Quotation.objects.get(pk=draft.name).version
    r = api.delete(f"quotations/{draft.name}", headers={"If-Match": f'"{current}"'})
    assert r.status_code == 204
    assert not Quotation.objects.filter(pk=draft.name).exists()


def test_editing_a_submitted_quotation_is_refused(sales, api_as, opp):
    q = submitted_quotation(opp, sales)
    before = world_state((Quotation, q.name))
    error = _refused(
        api_as(sales).patch(f"quotations/{q.name}", {"version": q.version, "terms": "new"}),
        409,
        field="docstatus",
    )
    assert "only a draft can be changed" in error["message"]
    _refused(api_as(sales).delete(f"quotations/{q.name}"), 409, field="docstatus")
    assert world_state((Quotation, q.name)) == before


def test_cancelling_twice_is_refused(sales, api_as, opp):
    q = submitted_quotation(opp, sales)
    api = api_as(sales)
    assert api.post(f"quotations/{q.name}/cancel").json()["status"] == "Cancelled"
    before = world_state((Quotation, q.name))
    error = _refused(api.post(f"quotations/{q.name}/cancel"), 409, field="docstatus")
    assert "already cancelled" in error["message"]
    _refused(api.post(f"quotations/{q.name}/submit"), 409, field="docstatus")
    assert world_state((Quotation, q.name)) == before


def test_sales_order_from_a_draft_or_lost_quotation_is_refused(sales, api_as, opp, draft):
    api = api_as(sales)
    before = world_state((Quotation, draft.name))
    error = _refused(api.post(f"quotations/{draft.name}/make-sales-order"), 409, field="status")
    assert "submit it first" in error["message"]
    assert world_state((Quotation, draft.name)) == before
    lost = submitted_quotation(opp, sales)
    services.declare_quotation_lost(lost, lost_reasons=["Timing"], by=sales)
    before = world_state((Quotation, lost.name))
    error = _refused(api.post(f"quotations/{lost.name}/make-sales-order"), 409, field="status")
    assert "it is Lost" in error["message"]
    assert world_state((Quotation, lost.name)) == before
    assert SalesOrder.objects.count() == 0


def test_declare_lost_needs_a_known_reason_and_an_open_quotation(sales, api_as, opp, draft):
    api = api_as(sales)
    q = submitted_quotation(opp, sales)
    before = world_state((Quotation, q.name))
    _refused(
        api.post(f"quotations/{q.name}/declare-lost", {"lost_reasons": []}),
        422,
        field="lost_reasons",
    )
    _refused(
        api.post(f"quotations/{q.name}/declare-lost", {"lost_reasons": ["Moon phase"]}),
        422,
        field="lost_reasons",
    )
    _refused(
        api.post(
            f"quotations/{q.name}/declare-lost",
            {"lost_reasons": ["Timing"], "competitors": ["Nobody Inc"]},
        ),
        422,
        field="competitors",
    )
    assert world_state((Quotation, q.name)) == before
    _refused(
        api.post(f"quotations/{draft.name}/declare-lost", {"lost_reasons": ["Timing"]}),
        409,
        field="status",
    )
    order = services.make_sales_order_from_quotation(q, by=sales)
    services.submit_sales_order(order, by=sales)
    error = _refused(
        api.post(f"quotations/{q.name}/declare-lost", {"lost_reasons": ["Timing"]}),
        409,
        field="status",
    )
    assert "a sales order was made" in error["message"]


def test_over_ordering_and_cancelling_an_ordered_quotation_are_refused(sales, api_as, opp):
    q = submitted_quotation(opp, sales)
    first = services.make_sales_order_from_quotation(q, by=sales)
    second = services.make_sales_order_from_quotation(q, by=sales)
    api = api_as(sales)
    assert api.post(f"sales-orders/{first.name}/submit").status_code == 200
    before = world_state((SalesOrder, second.name), (Quotation, q.name))
    error = _refused(api.post(f"sales-orders/{second.name}/submit"), 422, field="items[0].qty")
    assert "Only 0 of W1 is left" in error["fields"]["items[0].qty"][0]
    _refused(api.post(f"quotations/{q.name}/cancel"), 409, field="status")
    assert world_state((SalesOrder, second.name), (Quotation, q.name)) == before


def test_a_fully_ordered_quotation_gives_no_new_order(sales, api_as, opp):
    q = submitted_quotation(opp, sales)
    services.submit_sales_order(services.make_sales_order_from_quotation(q, by=sales), by=sales)
    _refused(api_as(sales).post(f"quotations/{q.name}/make-sales-order"), 409)
    assert SalesOrder.objects.count() == 1


# --- access ------------------------------------------------------------------------------------
def test_outsider_gets_404_and_purchaser_403(sales, purchaser, outsider, api_as, opp, draft):
    before = world_state((Quotation, draft.name))
    for user, status in ((outsider, 404), (purchaser, 403)):
        api = api_as(user)
        _refused(api.post(f"opportunities/{opp.name}/make-quotation"), status)
        _refused(api.post(f"quotations/{draft.name}/submit"), 404)
        _refused(api.get(f"quotations/{draft.name}"), 404)
        assert api.get("quotations").json()["results"] == []
    assert world_state((Quotation, draft.name)) == before


def test_no_token_is_401(api_as, draft):
    assert api_as(None).get(f"quotations/{draft.name}").status_code == 401


def test_sales_roles_create_quotations_and_orders_over_the_api(sales2, manager, api_as):
    make_item("W1", rate="10")
    lead = make_lead(sales2)  # a quotation is made only for a lead one sees
    api = api_as(sales2)
    r = api.post(
        "quotations",
        {
            "quotation_to": "Lead",
            "party_name": lead.name,
            "items": [{"item_code": "W1", "qty": "2.5", "uom": "Hour"}],
            "tax_rate": "10",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["total"], body["total_taxes_and_charges"], body["grand_total"]) == (
        "25.00",
        "2.50",
        "27.50",
    )
    assert api.post(f"quotations/{body['name']}/submit").json()["status"] == "Open"
    r = api_as(manager).post(f"quotations/{body['name']}/make-sales-order")
    assert r.status_code == 201, r.content
    assert r.json()["customer"] == "Analytical Engines"
    listed = api.get("quotations", status="Open", with_count=1).json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == body["name"]
    assert api.get("sales-orders").json()["results"][0]["quotation"] == body["name"]


def test_lists_search_and_filter(sales, api_as, opp):
    q = submitted_quotation(opp, sales)
    order = services.make_sales_order_from_quotation(q, by=sales)
    api = api_as(sales)
    assert [r["name"] for r in api.get("quotations", q="babbage").json()["results"]] == [q.name]
    assert api.get("quotations", q="nobody").json()["results"] == []
    assert [r["name"] for r in api.get("sales-orders", q="Babbage").json()["results"]] == [
        order.name
    ]
    assert api.get("sales-orders", docstatus="1").json()["results"] == []
    r = api.get("sales-orders", docstatus="draft")
    assert r.status_code == 422 and "docstatus[0]" in r.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("quotations", {"quotation_to": "Customer", "party_name": "Babbage Ltd"}),
        ("requests-for-quotation", {}),
        ("supplier-quotations", {"supplier": "Acme"}),
    ],
)
def test_a_body_naming_an_unknown_opportunity_is_a_404_naming_the_field(
    manager, purchaser, opp, path, body, api_as
):
    """The link is looked up as the user could (unseen is as unknown: 404), and the answer
    names the field, as any other bad input (found by tests/test_hostile_input.py)."""
    api_as(purchaser).post("suppliers", {"supplier_name": "Acme"})
    before = (world_state(), RequestForQuotation.objects.count(), SupplierQuotation.objects.count())
    user = purchaser if path != "quotations" else manager
    r = api_as(user).post(path, {**body, "opportunity": "CRM-OPP-2026-99999"})
    assert r.status_code == 404, r.content
    assert r.json()["error"] == {
        "code": "not_found",
        "message": "Opportunity CRM-OPP-2026-99999 not found.",
        "fields": {"opportunity": ["Opportunity CRM-OPP-2026-99999 not found."]},
    }
    assert (
        world_state(),
        RequestForQuotation.objects.count(),
        SupplierQuotation.objects.count(),
    ) == before


@pytest.mark.parametrize("rate", [10**100, -(10**100), 0, "1e400"])
def test_a_conversion_rate_out_of_bounds_is_refused_in_the_company_currency_too(
    sales, draft, rate, api_as
):
    """In the company currency the rate is always 1, but a rate no document may have is still
    bad input: refused naming it, not silently replaced (found by tests/test_hostile_input.py)."""
    before = world_state((Quotation, draft.name))
    body = {"quotation_to": "Customer", "party_name": draft.party_name, "conversion_rate": rate}
    _refused(api_as(sales).post("quotations", body), 422, field="conversion_rate")
    patch = {"conversion_rate": rate, "version": draft.version}
    _refused(api_as(sales).patch(f"quotations/{draft.name}", patch), 422, field="conversion_rate")
    assert world_state((Quotation, draft.name)) == before


@pytest.mark.parametrize("row_id", [10**100, -(10**100), 0])
def test_a_row_id_no_row_can_have_is_refused(sales, draft, row_id, api_as):
    """A row's id beyond any the database holds is a 422 naming it, never an overflow (500)."""
    before = world_state((Quotation, draft.name))
    row = {"id": row_id, "item_code": "W1", "qty": 1}
    body = {"items": [row], "version": draft.version}
    _refused(api_as(sales).patch(f"quotations/{draft.name}", body), 422, field="items[0].id")
    assert world_state((Quotation, draft.name)) == before


def test_a_sales_user_cannot_make_a_quotation_on_a_colleagues_opportunity(sales, sales2, api_as):
    """The record rule holds for links too: naming an opportunity one does not see is a 404 that
    names the field, and no quotation is made."""
    make_item("W9", rate="5")
    customer = make_customer(sales, customer_name="Colleague's Customer")
    theirs = make_opportunity(sales, customer, items=[{"item_code": "W9", "qty": 1}])
    body = {
        "quotation_to": "Customer",
        "party_name": customer.name,
        "opportunity": theirs.name,
        "items": [{"item_code": "W9", "qty": 1}],
    }
    r = api_as(sales2).post("quotations", body)
    assert r.status_code == 404, r.content
    assert "opportunity" in r.json()["error"]["fields"]
    assert not Quotation.objects.exists()
