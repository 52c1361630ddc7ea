"""The opportunity page offers each role the documents it may make."""

from django.test import Client
from django.urls import reverse

from opportune.testing import make_item, make_opportunity


def _page(user, name):
    client = Client()
    client.force_login(user)
    return client.get(reverse("crm:opportunity_detail", args=[name])).content.decode()


def test_purchase_user_sees_supplier_actions_but_not_sales_actions(sales, purchaser):
    make_item("W1")
    opportunity = make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}])
    page = _page(purchaser, opportunity.name)
    assert "Make Supplier Quotation" in page
    assert "Make Request for Quotation" in page
    assert "Make Quotation" not in page
    assert "Declare Lost" not in page


def test_sales_user_sees_quotation_action(sales):
    make_item("W1")
    opportunity = make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}])
    page = _page(sales, opportunity.name)
    assert "Make Quotation" in page
    assert "Declare Lost" in page
    assert "Make Supplier Quotation" not in page
