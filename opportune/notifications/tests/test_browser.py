"""In a real browser: the bell, the list, marking one read with HTMX (the bell recounts), opening
one; no content security policy violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opportune.notifications.models import Notification
from opportune.notifications.services import notify
from opportune.testing import log_in, make_customer, make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def test_the_bell_the_list_and_marking_read(page: Page, sales):
    opportunity = make_opportunity(sales, make_customer(sales), title="Bell deal")
    link = f"/crm/opportunities/{opportunity.name}/"
    notify(sales, kind="assignment", subject="Bell deal is yours", link=link, key="b1")
    notify(sales, kind="reminder", subject="Call Ada today", key="b2")
    page.add_init_script(WATCH)
    page.goto("/accounts/login/")
    log_in(page, "sales")

    bell = page.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications: 2 unread")
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()

    reminder = Notification.objects.get(key="b2")
    row = page.locator(f"#notification-{reminder.pk}")
    mark = row.get_by_role("button", name="Mark read: “Call Ada today”")
    mark.click()
    expect(mark).to_have_count(0)
    expect(page.locator("#bell")).to_have_attribute("aria-label", "Notifications: 1 unread")

    page.locator(".notification-subject", has_text="Bell deal is yours").click()
    expect(page).to_have_url(re.compile(re.escape(link) + "$"))
    expect(page.locator("#bell")).to_have_attribute("aria-label", "Notifications: 0 unread")
    assert page.evaluate("window.__cspViolations") == []
    assert list(Notification.objects.values_list("read", flat=True)) == [True, True]
