"""Saved views in a real browser (issue 14 point 2, decision 0027): a sales user narrows the
opportunity list, saves it as a view (htmx), finds it as a tab above the list, opens the whole
list again, reopens the view from its tab, and makes it the default the bare list opens on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opportune.core.models import SavedView
from opportune.testing import log_in, make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_save_a_view_and_reopen_it_from_its_tab(page: Page, sales):
    make_opportunity(sales, title="Windmill retrofit", opportunity_owner="sales")
    make_opportunity(sales, title="Harbour cranes", opportunity_owner="sales")
    log_in(page, "sales")
    page.goto("/crm/opportunities/")
    table = page.locator("#opportunity-table")
    views = page.get_by_role("navigation", name="Quick filters and saved views")

    # the everyday filters are there without opening anything
    expect(views.get_by_role("link", name="My open")).to_be_visible()
    expect(views.get_by_role("link", name="Closing this month")).to_be_visible()
    expect(views.get_by_role("link", name="Stale")).to_be_visible()
    expect(views.get_by_role("link", name="Lost this quarter")).to_be_visible()
    views.get_by_role("link", name="My open").click()
    expect(views.get_by_role("link", name="My open")).to_have_attribute("aria-current", "page")
    expect(table).to_contain_text("Windmill retrofit")

    # a search, saved as a view
    page.locator("#f-q").fill("windmill")
    page.get_by_role("button", name="Apply").click()
    expect(table).not_to_contain_text("Harbour cranes")
    page.get_by_text("Save this view").click()
    page.get_by_label("View name").fill("Windmills")
    page.get_by_role("button", name="Save view").click()
    tab = views.get_by_role("link", name="Windmills")
    expect(tab).to_have_attribute("aria-current", "page")
    assert SavedView.objects.get().query.startswith("q=windmill")

    # the whole list, then the view again from its tab: the URL carries it
    views.get_by_role("link", name="All").click()
    expect(table).to_contain_text("Harbour cranes")
    tab.click()
    expect(page).to_have_url(re.compile(r"\?q=windmill"))
    expect(table).to_contain_text("Windmill retrofit")
    expect(table).not_to_contain_text("Harbour cranes")

    # made the default, the bare list opens on it
    page.get_by_text("Manage my views").click()
    page.get_by_role("button", name="Open it first").click()
    expect(page.locator(".view-chip[aria-current='page']")).to_contain_text("default")
    page.goto("/crm/opportunities/")
    expect(page).to_have_url(re.compile(r"\?q=windmill"))
    expect(table).not_to_contain_text("Harbour cranes")


def test_a_refused_save_names_the_field_in_place(page: Page, sales):
    log_in(page, "sales")
    page.goto("/crm/opportunities/board/?group_by=status")
    page.get_by_text("Save this view").click()
    name = page.get_by_label("View name")
    name.fill("   ")  # passes the browser's "required", refused by the service
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("alert")).to_contain_text("label")
    expect(page.get_by_label("View name")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("View name").fill("By status")
    page.get_by_role("button", name="Save view").click()
    expect(page).to_have_url(re.compile(r"/board/\?group_by=status$"))
    expect(page.get_by_role("link", name="By status")).to_have_attribute("aria-current", "page")
