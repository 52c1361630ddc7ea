"""The selling and buying journeys from an opportunity, in a real browser (Playwright driving
/usr/bin/chromium; the browser fixtures are the root conftest's)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opportune.accounts.roles import PURCHASE_USER, SALES_USER
from opportune.buying import services as buying
from opportune.testing import log_in, make_item, make_opportunity, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def dealer(db):
    """A salesperson who also buys (both roles), so one login walks both journeys."""
    return make_user("dealer", SALES_USER, PURCHASE_USER, first_name="Dana")


def _status(page: Page):
    return page.locator("#status-badge")


def test_opportunity_to_quotation_to_sales_order(page: Page, dealer):
    make_item("WIDGET", rate="100")
    opp = make_opportunity(
        dealer, title="Widgets for Babbage", items=[{"item_code": "WIDGET", "qty": 3}]
    )
    log_in(page, "dealer")
    page.goto(f"/crm/opportunities/{opp.name}/")
    page.get_by_role("button", name="Make Quotation").click()
    expect(page.get_by_role("heading", name=re.compile("Edit Quotation SAL-QTN-"))).to_be_visible()
    expect(page.get_by_label("Rate, row 1")).to_have_value("100")
    page.get_by_label("Rate, row 1").fill("90")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#grand-total")).to_have_text("USD 270.00")
    expect(_status(page)).to_have_text("Draft")
    page.get_by_role("button", name="Submit").click()
    expect(_status(page)).to_have_text("Open")
    quotation_url = page.url

    page.get_by_role("link", name=opp.name).click()
    expect(_status(page)).to_have_text("Quotation")
    expect(page.locator("#opportunity-documents")).to_contain_text("Open")

    page.goto(quotation_url)
    page.get_by_role("button", name="Make Sales Order").click()
    expect(page.get_by_role("heading", name=re.compile("Sales Order SAL-ORD-"))).to_be_visible()
    expect(page.locator("#grand-total")).to_have_text("USD 270.00")
    page.get_by_role("button", name="Submit").click()
    expect(_status(page)).to_have_text("To Deliver and Bill")
    page.get_by_role("link", name=opp.name).click()
    expect(_status(page)).to_have_text("Converted")


def _enter_rates_and_submit(page: Page, rates: list[str]) -> None:
    for row, rate in enumerate(rates, start=1):
        page.get_by_label(f"Rate, row {row}").fill(rate)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Submit").click()
    expect(_status(page)).to_have_text("Submitted")


def test_request_for_quotation_to_two_suppliers_then_compare(page: Page, dealer):
    make_item("WIDGET", rate="100")
    make_item("BOLT", rate="2")
    opp = make_opportunity(
        dealer, items=[{"item_code": "WIDGET", "qty": 3}, {"item_code": "BOLT", "qty": 50}]
    )
    for name in ("Acme", "Zenith"):
        buying.create_supplier(data={"supplier_name": name}, by=dealer)
    log_in(page, "dealer")
    page.goto(f"/crm/opportunities/{opp.name}/")
    page.get_by_role("link", name="Make Request for Quotation").click()
    page.get_by_label("Acme").check()
    page.get_by_label("Zenith").check()
    page.get_by_role("button", name="Make Request for Quotation").click()
    expect(
        page.get_by_role("heading", name=re.compile("Request for Quotation PUR-RFQ-"))
    ).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    expect(_status(page)).to_have_text("Submitted")
    rfq_url = page.url

    page.get_by_role("button", name="Make Supplier Quotation for Acme").click()
    _enter_rates_and_submit(page, ["80", "2.50"])
    page.goto(rfq_url)
    page.get_by_role("button", name="Make Supplier Quotation for Zenith").click()
    _enter_rates_and_submit(page, ["85", "1.75"])
    page.goto(rfq_url)
    expect(page.locator("#rfq-suppliers")).not_to_contain_text("Pending")

    page.get_by_role("link", name="compare supplier quotations").click()
    widget = page.get_by_role("region", name=re.compile("WIDGET"))
    bolt = page.get_by_role("region", name=re.compile("BOLT"))
    expect(widget.locator("tr.cheapest")).to_contain_text("Acme")
    expect(widget.locator("tr.cheapest")).to_contain_text("80.00")
    expect(bolt.locator("tr.cheapest")).to_contain_text("Zenith")
    expect(bolt.locator("tbody tr")).to_have_count(2)
