"""The header's search box in a real browser (issue 14): Ctrl-K focuses it from any page, part
of a customer's email finds it as you type, grouped under Customers, and the arrow keys and
Enter open its page. No console error (the page fixture: the CSP holds)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opportune.testing import log_in, make_customer, make_lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_find_a_customer_from_the_header_by_part_of_its_email(page: Page, sales):
    customer = make_customer(
        sales, customer_name="Quillfeather Stationers", email_id="orders@quillfeather.example"
    )
    make_lead(sales, lead_name="Someone Else", email_id="someone@elsewhere.example")
    log_in(page, "sales")
    page.goto("/crm/opportunities/")
    box = page.get_by_role("searchbox", name=re.compile("Search leads, customers"))
    expect(box).not_to_be_focused()

    page.keyboard.press("Control+k")  # from anywhere on the page
    expect(box).to_be_focused()
    page.keyboard.type("rs@quillfeath")

    results = page.locator("#global-search-results")
    group = results.get_by_role("region", name="Customers")
    expect(group).to_be_visible()
    link = group.get_by_role("link", name=re.compile("Quillfeather Stationers"))
    expect(link).to_contain_text("orders@quillfeather.example")
    expect(results.get_by_role("region", name="Leads")).to_have_count(0)

    page.keyboard.press("ArrowDown")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/crm/customers/Quillfeather%20Stationers/$"))
    expect(page.get_by_role("heading", name=customer.customer_name)).to_be_visible()

    # Cmd-K too (macOS), and nothing found says so
    page.keyboard.press("Meta+k")
    expect(box).to_be_focused()
    page.keyboard.type("no such customer")
    expect(results).to_contain_text("Nothing found")
