"""The one item engine (core.items) gives every document the same row rules and messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opportune.buying import services as buying
from opportune.core.errors import ValidationError
from opportune.crm import services as crm
from opportune.masters.models import UOM, Item
from opportune.selling import services as selling
from opportune.testing import make_customer, make_item, make_opportunity

pytestmark = pytest.mark.django_db


def _create(doctype: str, users, rows):
    sales, purchaser = users
    if doctype == "Opportunity":
        customer = make_customer(sales)
        return crm.create_opportunity(
            data={"opportunity_from": "Customer", "party_name": customer.name, "items": rows},
            by=sales,
        )
    if doctype == "Quotation":
        customer = make_customer(sales)
        return selling.create_quotation(
            data={"quotation_to": "Customer", "party_name": customer.name, "items": rows},
            by=sales,
        )
    if doctype == "Sales Order":
        customer = make_customer(sales)
        return selling.create_sales_order(data={"customer": customer.name, "items": rows}, by=sales)
    buying.create_supplier(data={"supplier_name": "Acme"}, by=purchaser)
    if doctype == "Supplier Quotation":
        return buying.create_supplier_quotation(
            data={"supplier": "Acme", "items": rows}, by=purchaser
        )
    return buying.create_request_for_quotation(
        data={"suppliers": ["Acme"], "items": rows}, by=purchaser
    )


DOCTYPES = ["Opportunity", "Quotation", "Sales Order", "Supplier Quotation", "RFQ"]


@pytest.fixture
def users(sales, purchaser):
    make_item("W1", rate="10")
    return sales, purchaser


@pytest.mark.parametrize("doctype", DOCTYPES)
def test_every_document_refuses_bad_rows_with_the_same_messages(doctype, users):
    UOM.objects.create(name="Crate", enabled=False)
    rows = [
        {"item_code": "W1", "qty": "0"},
        {"item_code": "NOPE"},
        {"item_code": "W1", "uom": "Crate"},
        {"item_code": "W1", "qty": "1e12"},
        {"item_code": "W1", "colour": "red"},
    ]
    with pytest.raises(ValidationError) as refused:
        _create(doctype, users, rows)
    assert refused.value.fields == {
        "items[0].qty": ["Quantity must be greater than 0."],
        "items[1].item_code": ["Item 'NOPE' does not exist."],
        "items[2].uom": ["UOM 'Crate' is disabled."],
        "items[3].qty": ["Quantity must be less than 1,000,000,000."],
        "items[4].colour": ["This field is not known or cannot be written."],
    }


@pytest.mark.parametrize(
    ("doctype", "flag", "message"),
    [
        ("Quotation", "is_sales_item", "Item 'W1' is not a sales item."),
        ("Sales Order", "is_sales_item", "Item 'W1' is not a sales item."),
        ("Supplier Quotation", "is_purchase_item", "Item 'W1' is not a purchase item."),
        ("RFQ", "is_purchase_item", "Item 'W1' is not a purchase item."),
    ],
)
def test_sold_and_bought_items_are_checked_as_erpnext_does(doctype, flag, message, users):
    Item.objects.filter(pk="W1").update(**{flag: False})
    with pytest.raises(ValidationError) as refused:
        _create(doctype, users, [{"item_code": "W1"}])
    assert refused.value.fields == {"items[0].item_code": [message]}


def test_the_other_side_may_use_an_item_of_one_side(users):
    Item.objects.filter(pk="W1").update(is_purchase_item=False)
    quotation = _create("Quotation", users, [{"item_code": "W1", "qty": 2}])
    assert [(r.item_code_id, r.amount) for r in quotation.items.all()] == [("W1", 20)]


def test_a_fraction_of_a_whole_unit_names_the_row_from_1(users):
    sales, _ = users
    opp = make_opportunity(sales)
    with pytest.raises(ValidationError) as refused:
        crm.update_opportunity(
            opp,
            data={"items": [{"item_code": "W1"}, {"item_code": "W1", "qty": "1.5"}]},
            version=opp.version,
            by=sales,
        )
    assert refused.value.fields == {
        "items[1].qty": [
            "Quantity (1.5) cannot be a fraction in row 2: Nos is counted in whole numbers."
        ]
    }


def test_a_new_rate_reprices_the_rows_it_keeps(users):
    """Changing the conversion rate alone re-prices the stored rows' base_ values."""
    sales, _ = users
    opp = make_opportunity(
        sales, currency="EUR", conversion_rate="1.1", items=[{"item_code": "W1"}]
    )
    assert [r.base_rate for r in opp.items.all()] == [Decimal("11.00")]
    crm.update_opportunity(opp, data={"conversion_rate": "1.2"}, version=opp.version, by=sales)
    assert [(r.rate, r.base_rate, r.base_amount) for r in opp.items.all()] == [
        (Decimal("10.00"), Decimal("12.00"), Decimal("12.00"))
    ]
