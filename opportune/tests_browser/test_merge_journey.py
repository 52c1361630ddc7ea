"""A manager meets a duplicate customer, then merges two of them and sees their opportunities
on the survivor (decision 0025), in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opportune.crm.models import Customer, Opportunity
from opportune.testing import RESULTS, log_in, make_customer, make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_merge_two_duplicate_customers_and_see_their_opportunities_on_the_survivor(
    page: Page, sales, manager
):
    survivor = make_customer(sales, customer_name="Acme Ltd", email_id="info@acme.example")
    duplicate = make_customer(sales, customer_name="ACME Limited", phone="+1 555 010 2030")
    make_opportunity(sales, survivor, title="Old deal")
    moved = make_opportunity(sales, duplicate, title="Big deal")
    log_in(page, "manager")

    # a third one with a known address: the form shows the likely duplicates before saving
    page.goto("/crm/customers/new/")
    page.get_by_label("Customer name").fill("Acme")
    page.get_by_label("Email").fill("INFO@acme.example")
    page.get_by_role("button", name="Save").click()
    warning = page.locator("#duplicates")
    expect(warning).to_contain_text("Likely duplicates")
    expect(warning.get_by_role("link", name="Acme Ltd")).to_be_visible()
    expect(warning.get_by_label("Create anyway")).not_to_be_checked()
    assert Customer.objects.count() == 2  # nothing saved

    # the duplicate goes into the first one, keeping its phone number
    page.goto(f"/crm/customers/{duplicate.name}/")
    page.get_by_role("link", name="Merge into…").click()
    page.get_by_label("Merge into").fill(survivor.name)
    page.get_by_role("button", name="Compare").click()
    fields = page.locator("#merge-fields")
    expect(fields.locator('tr[data-field="phone"]')).to_contain_text("+1 555 010 2030")
    fields.locator('tr[data-field="phone"] input[value="this"]').check()
    page.get_by_role("button", name=f"Merge {duplicate.name} into {survivor.name}").click()

    expect(page).to_have_url(re.compile(r"/crm/customers/Acme%20Ltd/$"))
    expect(page.get_by_role("heading", name="Acme Ltd")).to_be_visible()
    opportunities = page.locator("section[aria-labelledby=opps-h]")
    expect(opportunities).to_contain_text("Big deal")
    expect(opportunities).to_contain_text("Old deal")
    expect(page.locator("section[aria-labelledby=d-h]")).to_contain_text("+1 555 010 2030")
    expect(page.locator("section[aria-labelledby=tl-h]")).to_contain_text(
        f"Merged Customer {duplicate.name} (ACME Limited)"
    )
    page.screenshot(path=str(RESULTS / "merge-survivor.png"), full_page=True)

    assert Opportunity.objects.get(pk=moved.pk).customer_id == survivor.name
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
