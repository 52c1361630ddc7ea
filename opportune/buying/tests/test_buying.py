"""Suppliers, supplier quotations, requests for quotation and the comparison of rates
(ERPNEXT_BEHAVIOUR.md 4.3, 4.4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from opportune.buying import services
from opportune.buying.models import (
    RequestForQuotation,
    Supplier,
    SupplierGroup,
    SupplierQuotation,
    SupplierQuotationItem,
)
from opportune.core.errors import ConflictError
from opportune.crm import services as crm
from opportune.crm.models import Contact, Opportunity
from opportune.testing import at, make_item, make_opportunity, make_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(sales):
    make_item("W1", rate="10", name="Widget")
    make_item("G2", rate="3", uom="Hour")
    return make_opportunity(
        sales,
        items=[
            {"item_code": "W1", "qty": 4, "description": "Blue"},
            {"item_code": "G2", "qty": "2.5", "uom": "Hour"},
        ],
    )


@pytest.fixture
def suppliers(purchaser):
    services.create_supplier_group(name="Hardware", by=purchaser)
    acme = services.create_supplier(
        data={
            "supplier_name": "Acme",
            "supplier_group": "Hardware",
            "email_id": "sales@acme.example",
        },
        by=purchaser,
    )
    bolt = services.create_supplier(
        data={"supplier_name": "Bolt & Co", "default_currency": "EUR"}, by=purchaser
    )
    return acme, bolt


def _state(model, name):
    doc = model.objects.get(pk=name)
    return {
        **model_to_dict(doc),
        "version": doc.version,
        "items": [model_to_dict(i) for i in doc.items.order_by("idx")],
    }


def test_supplier_quotation_from_opportunity_maps_items(purchaser, opp, suppliers):
    sq = services.make_supplier_quotation_from_opportunity(opp, supplier="Acme", by=purchaser)
    sq = SupplierQuotation.objects.get(pk=sq.pk)
    assert sq.name.startswith(f"PUR-SQTN-{timezone.localtime(sq.creation):%Y}-")
    assert (sq.docstatus, sq.status, sq.supplier_id, sq.supplier_name) == (
        0,
        "Draft",
        "Acme",
        "Acme",
    )
    assert sq.opportunity_id == opp.name and sq.request_for_quotation_id is None
    assert (sq.currency_id, sq.conversion_rate) == ("USD", Decimal(1))
    assert [
        (
            r.idx,
            r.item_code_id,
            r.item_name,
            r.description,
            r.qty,
            r.uom_id,
            r.stock_uom_id,
            r.rate,
            r.prevdoc_doctype,
            r.prevdoc_docname,
        )
        for r in sq.items.order_by("idx")
    ] == [
        (1, "W1", "Widget", "Blue", Decimal(4), "Nos", "Nos", Decimal(0), "Opportunity", opp.name),
        (2, "G2", "G2", "", Decimal("2.5"), "Hour", "Hour", Decimal(0), "Opportunity", opp.name),
    ]
    # rates are entered per line, then submitted
    sq = services.update_supplier_quotation(
        sq,
        data={
            "items": [
                {"item_code": "W1", "qty": 4, "rate": "7.25"},
                {"item_code": "G2", "qty": "2.5", "uom": "Hour", "rate": "2"},
            ]
        },
        version=sq.version,
        by=purchaser,
    )
    assert (sq.total, sq.grand_total) == (Decimal("34.00"), Decimal("34.00"))
    assert services.submit_supplier_quotation(sq, by=purchaser).status == "Submitted"
    # no status effect on the opportunity (ERPNext 4.3)
    assert Opportunity.objects.get(pk=opp.pk).status == "Open"
    assert services.cancel_supplier_quotation(sq, by=purchaser).status == "Cancelled"


def test_rfq_to_two_suppliers_gives_each_a_supplier_quotation(purchaser, opp, suppliers):
    make_rate("EUR", "USD", "1.1")
    rfq = services.make_request_for_quotation_from_opportunity(
        opp, suppliers=["Acme", "Bolt & Co"], by=purchaser
    )
    rfq = RequestForQuotation.objects.get(pk=rfq.pk)
    assert rfq.name.startswith(f"PUR-RFQ-{timezone.localtime(rfq.creation):%Y}-")
    assert (rfq.docstatus, rfq.status, rfq.opportunity_id) == (0, "Draft", opp.name)
    assert [
        (s.supplier_id, s.supplier_name, s.email_id, s.quote_status) for s in rfq.suppliers.all()
    ] == [
        ("Acme", "Acme", "sales@acme.example", "Pending"),
        ("Bolt & Co", "Bolt & Co", "", "Pending"),
    ]
    opp_rows = list(opp.items.order_by("idx"))
    assert [
        (r.item_code_id, r.qty, r.uom_id, r.conversion_factor, r.opportunity_id, r.opportunity_item)
        for r in rfq.items.order_by("idx")
    ] == [(o.item_code_id, o.qty, o.uom_id, Decimal(1), opp.name, o.pk) for o in opp_rows]
    with pytest.raises(ConflictError, match="submit it first"):
        services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=purchaser)
    rfq = services.submit_request_for_quotation(rfq, by=purchaser)
    acme = services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=purchaser)
    bolt = services.make_supplier_quotation_from_rfq(rfq, supplier="Bolt & Co", by=purchaser)
    assert (acme.currency_id, bolt.currency_id, bolt.conversion_rate) == (
        "USD",
        "EUR",
        Decimal("1.1"),
    )
    for sq in (acme, bolt):
        assert sq.request_for_quotation_id == rfq.name and sq.opportunity_id == opp.name
        assert [
            (r.item_code_id, r.qty, r.uom_id, r.request_for_quotation_item_id, r.prevdoc_docname)
            for r in sq.items.order_by("idx")
        ] == [(r.item_code_id, r.qty, r.uom_id, r.pk, opp.name) for r in rfq.items.order_by("idx")]
    with pytest.raises(ConflictError, match="already has a quotation"):
        services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=purchaser)
    services.submit_supplier_quotation(acme, by=purchaser)
    assert dict(rfq.suppliers.values_list("supplier_id", "quote_status")) == {
        "Acme": "Received",
        "Bolt & Co": "Pending",
    }


def _priced(sq, rates, by):
    rows = [
        {"id": r.pk, "item_code": r.item_code_id, "qty": r.qty, "uom": r.uom_id, "rate": rate}
        for r, rate in zip(sq.items.order_by("idx"), rates, strict=True)
    ]
    sq = services.update_supplier_quotation(sq, data={"items": rows}, version=sq.version, by=by)
    return services.submit_supplier_quotation(sq, by=by)


def test_comparison_marks_the_cheapest_in_company_currency(
    purchaser, sales, opp, suppliers, api_as
):
    make_rate("EUR", "USD", "1.1")
    rfq = services.make_request_for_quotation_from_opportunity(
        opp, suppliers=["Acme", "Bolt & Co"], by=purchaser
    )
    rfq = services.submit_request_for_quotation(rfq, by=purchaser)
    acme = _priced(
        services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=purchaser),
        ["7.50", "2.00"],
        purchaser,
    )
    bolt = _priced(
        services.make_supplier_quotation_from_rfq(rfq, supplier="Bolt & Co", by=purchaser),
        ["6.50", "2.00"],
        purchaser,
    )  # EUR 6.50 = USD 7.15; 2.00 EUR = 2.20 USD
    draft = services.make_supplier_quotation_from_opportunity(opp, supplier="Acme", by=purchaser)
    assert draft.docstatus == 0  # drafts are not compared
    r = api_as(sales).get(f"opportunities/{opp.name}/supplier-quotation-comparison")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["opportunity"] == opp.name and body["company_currency"] == "USD"
    got = [
        (
            i["item_code"],
            i["uom"],
            [
                (
                    q["supplier"],
                    q["supplier_quotation"],
                    q["currency"],
                    q["rate"],
                    q["base_rate"],
                    q["is_cheapest"],
                )
                for q in i["quotes"]
            ],
        )
        for i in body["items"]
    ]
    assert got == [
        (
            "G2",
            "Hour",
            [
                ("Acme", acme.name, "USD", "2.0000", "2.0000", True),
                ("Bolt & Co", bolt.name, "EUR", "2.0000", "2.2000", False),
            ],
        ),
        (
            "W1",
            "Nos",
            [
                ("Bolt & Co", bolt.name, "EUR", "6.5000", "7.1500", True),
                ("Acme", acme.name, "USD", "7.5000", "7.5000", False),
            ],
        ),
    ]


def test_supplier_quotation_bad_input_changes_nothing(purchaser, opp, suppliers, api_as):
    sq = services.make_supplier_quotation_from_opportunity(opp, supplier="Acme", by=purchaser)
    api = api_as(purchaser)
    before = _state(SupplierQuotation, sq.name)
    r = api.patch(
        f"supplier-quotations/{sq.name}",
        {"version": sq.version, "items": [{"item_code": "W1", "qty": 1, "rate": "-1"}]},
    )
    assert r.status_code == 422 and "items[0].rate" in r.json()["error"]["fields"]
    r = api.patch(f"supplier-quotations/{sq.name}", {"version": sq.version, "supplier": "Nope"})
    assert r.status_code == 422 and "supplier" in r.json()["error"]["fields"]
    assert _state(SupplierQuotation, sq.name) == before
    assert api.post(f"supplier-quotations/{sq.name}/submit").status_code == 200
    before = _state(SupplierQuotation, sq.name)
    r = api.patch(
        f"supplier-quotations/{sq.name}", {"version": before["version"], "valid_till": "2030-01-01"}
    )
    assert r.status_code == 409
    assert api.post(f"supplier-quotations/{sq.name}/submit").status_code == 409
    assert _state(SupplierQuotation, sq.name) == before


def test_rfq_needs_suppliers_and_items(purchaser, sales, opp, suppliers, api_as):
    api = api_as(purchaser)
    r = api.post(f"opportunities/{opp.name}/make-request-for-quotation", {"suppliers": []})
    assert r.status_code == 422 and "suppliers" in r.json()["error"]["fields"]
    r = api.post(
        f"opportunities/{opp.name}/make-request-for-quotation", {"suppliers": ["Acme", "Ghost"]}
    )
    assert r.status_code == 422 and "Ghost" in r.json()["error"]["fields"]["suppliers"][0]
    empty = make_opportunity(sales)
    r = api.post(f"opportunities/{empty.name}/make-supplier-quotation", {"supplier": "Acme"})
    assert r.status_code == 409 and "items" in r.json()["error"]["fields"]
    assert RequestForQuotation.objects.count() == 0 and SupplierQuotation.objects.count() == 0
    r = api.post("requests-for-quotation", {"message_for_supplier": "Hi"})
    assert r.status_code == 201
    r = api.post(f"requests-for-quotation/{r.json()['name']}/submit")
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == {"items", "suppliers"}


def test_access_rules(purchaser, sales, outsider, opp, suppliers, api_as):
    body = {"supplier": "Acme"}
    # sales users read but may not create; outsiders do not see the opportunity at all
    assert (
        api_as(sales).post(f"opportunities/{opp.name}/make-supplier-quotation", body).status_code
        == 403
    )
    assert (
        api_as(outsider).post(f"opportunities/{opp.name}/make-supplier-quotation", body).status_code
        == 404
    )
    assert (
        api_as(outsider).get(f"opportunities/{opp.name}/supplier-quotation-comparison").status_code
        == 404
    )
    r = api_as(purchaser).post(f"opportunities/{opp.name}/make-supplier-quotation", body)
    assert r.status_code == 201
    name = r.json()["name"]
    assert api_as(sales).get(f"supplier-quotations/{name}").status_code == 200
    assert api_as(sales).post(f"supplier-quotations/{name}/submit").status_code == 403
    assert api_as(outsider).get(f"supplier-quotations/{name}").status_code == 404
    assert api_as(sales).post("suppliers", {"supplier_name": "X"}).status_code == 403
    assert Supplier.objects.count() == 2


def test_supplier_crud_and_contacts(purchaser, sales, api_as, suppliers):
    api = api_as(purchaser)
    r = api.post("suppliers", {"supplier_name": "Acme", "country": "DE"})
    assert r.status_code == 201 and r.json()["name"] == "Acme - 2"
    r = api.patch("suppliers/Acme - 2", {"version": 1, "supplier_group": "Nope"})
    assert r.status_code == 422
    r = api.patch("suppliers/Acme - 2", {"version": 1, "disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert [
        s["name"] for s in api.get("suppliers", disabled="false", ordering="name").json()["results"]
    ] == ["Acme", "Bolt & Co"]
    contact = crm.create_contact(
        data={"first_name": "Wile", "link_doctype": "Supplier", "link_name": "Acme"}, by=sales
    )
    assert Contact.objects.get(pk=contact.pk).link_name == "Acme"
    services.make_supplier_quotation_from_opportunity(
        make_opportunity(sales, items=[{"item_code": make_item("Z").pk}]),
        supplier="Acme",
        by=purchaser,
    )
    assert api.delete("suppliers/Acme").status_code == 409
    assert Contact.objects.filter(pk=contact.pk).exists()  # refused: nothing went
    other = crm.create_contact(
        data={"first_name": "Road", "link_doctype": "Supplier", "link_name": "Acme - 2"}, by=sales
    )
    stale = api.delete("suppliers/Acme - 2", headers={"If-Match": "1"})  # the PATCH made it 2
    assert stale.status_code == 409 and Contact.objects.filter(pk=other.pk).exists()
    assert api.delete("suppliers/Acme - 2", headers={"If-Match": "2"}).status_code == 204
    assert not Contact.objects.filter(pk=other.pk).exists()  # a supplier goes with its contacts


def test_expiry_of_supplier_quotations(purchaser, opp, suppliers):
    sq = services.make_supplier_quotation_from_opportunity(
        opp, supplier="Acme", by=purchaser, now=at(2026, 3, 15)
    )
    today = dt.date(2026, 3, 15)
    sq = services.update_supplier_quotation(
        sq, data={"valid_till": today}, version=sq.version, by=purchaser
    )
    services.submit_supplier_quotation(sq, by=purchaser)
    assert services.expire_supplier_quotations(today=today) == 0
    tomorrow = today + dt.timedelta(days=1)
    assert services.expire_supplier_quotations(today=tomorrow) == 1
    assert services.expire_supplier_quotations(today=tomorrow) == 0
    assert SupplierQuotation.objects.get(pk=sq.pk).status == "Expired"
    assert SupplierQuotationItem.objects.filter(supplier_quotation=sq).count() == 2


def test_supplier_groups_speak_erpnext(purchaser, api_as, suppliers):
    """A supplier group is created with ``supplier_group_name`` (ERPNext's key) or ``name`` and
    answers both; a supplier's ``supplier_name`` stays its display name, as in ERPNext."""
    api = api_as(purchaser)
    r = api.post("supplier-groups", {"supplier_group_name": "Raw Material"})
    assert r.status_code == 201, r.content
    assert r.json() == {"name": "Raw Material", "supplier_group_name": "Raw Material"}
    r = api.post("supplier-groups", {"name": "Services", "supplier_group_name": "Services"})
    assert r.status_code == 201, r.content
    assert api.get("supplier-groups").json() == [
        {"name": "Hardware", "supplier_group_name": "Hardware"},
        {"name": "Raw Material", "supplier_group_name": "Raw Material"},
        {"name": "Services", "supplier_group_name": "Services"},
    ]
    before = list(SupplierGroup.objects.order_by("pk").values_list("pk", flat=True))
    r = api.post("supplier-groups", {"name": "Tools", "supplier_group_name": "Tooling"})
    assert r.status_code == 422
    message = (
        "supplier_group_name and name differ ('Tooling', 'Tools'): "
        "they are the same key, send one of them."
    )
    assert r.json()["error"] == {
        "code": "validation_error",
        "message": message,
        "fields": {"supplier_group_name": [message]},
    }
    r = api.post("supplier-groups", {})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"name": ["Give the group's name."]}
    assert list(SupplierGroup.objects.order_by("pk").values_list("pk", flat=True)) == before
    r = api.post("suppliers", {"supplier_name": "Acme"})
    assert (r.json()["name"], r.json()["supplier_name"]) == ("Acme - 2", "Acme")
