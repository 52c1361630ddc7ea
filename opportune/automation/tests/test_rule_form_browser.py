"""The assignment rule form in a real browser (strict CSP, script from a static file): add
condition and user rows, the Weekdays button, and the saved rule holds what was chosen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opportune.accounts.roles import SALES_USER
from opportune.automation.models import AssignmentRule
from opportune.testing import log_in, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_condition_builder_rows_and_days(page: Page, manager, sales):
    make_user("sales2", SALES_USER)
    log_in(page, "manager")
    page.goto("/assignment-rules/new/")
    page.fill("#r-name", "Browser rule")
    assign = page.locator("[data-condition=assign_condition]")
    rows = assign.locator("[data-row]")
    rows.nth(0).locator("select[name=assign_condition-field]").select_option("status")
    rows.nth(0).locator("input").fill("Open")
    assign.locator("[data-add-row]").click()
    expect(rows).to_have_count(2)
    rows.nth(1).locator("select[name=assign_condition-field]").select_option("opportunity_amount")
    rows.nth(1).locator("select[name=assign_condition-op]").select_option("gte")
    rows.nth(1).locator("input").fill("1000")
    assign.locator("[data-add-row]").click()
    rows.nth(2).locator("[data-remove-row]").click()
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Weekdays").click()
    users = page.locator("[data-condition=users]")
    users.locator("[data-row] select").nth(0).select_option("sales2")
    users.locator("[data-add-row]").click()
    users.locator("[data-row] select").nth(1).select_option("sales")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Assignment rule Browser rule saved.")).to_be_visible()
    rule = AssignmentRule.objects.get()
    assert rule.assign_condition == {
        "match": "all",
        "conditions": [
            {"field": "status", "op": "eq", "value": "Open"},
            {"field": "opportunity_amount", "op": "gte", "value": "1000"},
        ],
    }
    assert rule.assignment_days == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    assert [row.user.username for row in rule.user_rows.order_by("idx")] == ["sales2", "sales"]
