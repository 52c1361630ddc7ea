"""The calendar in a real browser: an event made from the page, seen in the month, moved,
and the weeks browsed with htmx (no page load)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from opportune.testing import RESULTS, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_make_move_and_browse_events(page: Page, sales):
    day = timezone.localdate() + dt.timedelta(days=1)
    log_in(page, "sales")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", name="Calendar")).to_be_visible()
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Subject").fill("Call Grace")
    page.get_by_label("Starts").fill(f"{day.isoformat()}T10:30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Call Grace")).to_be_visible()
    page.get_by_role("link", name="Back to the calendar").click()
    expect(page.locator(f'[data-date="{day.isoformat()}"]')).to_contain_text("10:30Call Grace")
    page.screenshot(path=str(RESULTS / "calendar-week.png"), full_page=True)

    page.get_by_role("link", name="Call Grace").click()
    page.get_by_role("link", name="Edit or move").click()
    page.get_by_label("Starts").fill(f"{day.isoformat()}T15:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Call Grace")).to_be_visible()
    expect(page.get_by_text(re.compile(r"15:00"))).to_have_count(2)  # the time, the reminder

    page.goto("/calendar/?view=month")
    page.screenshot(path=str(RESULTS / "calendar-month.png"), full_page=True)
    title = page.locator("#cal-title").inner_text()
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#cal-title")).not_to_have_text(title)
    expect(page).to_have_url(re.compile(r"view=month&date="))
    page.get_by_role("link", name="Today").click()
    # htmx swaps the body in: wait for this month's, else "Agenda" is still next month's link
    expect(page.locator("#cal-title")).to_have_text(title)
    page.get_by_role("link", name="Agenda").click()
    expect(page.locator("#agenda")).to_contain_text("Call Grace")
