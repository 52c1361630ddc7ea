"""Issue 14's activities in a real browser: a sales user plans a call from a board card in two
clicks, sees its state on the card (today, amber), and the next day (the server's clock moved,
never waited for) sees it overdue on the card, in the list and on the home page; then marks it
done with its outcome, which lands on the opportunity's timeline."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from opportune.activities.models import Activity, ActivityType
from opportune.testing import RESULTS, log_in, make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BOARD = "/crm/opportunities/board/"


def test_plan_a_call_from_the_board_and_see_it_overdue_the_next_day(page: Page, sales):
    # the seeded type (activities 0002): a transactional test run before this one on the same
    # worker may have flushed it
    ActivityType.objects.get_or_create(name="Call", defaults={"icon": "📞"})
    opp = make_opportunity(sales, title="Acme rollout")
    log_in(page, "sales")
    page.goto(BOARD)
    card = page.locator(f".kcard[data-name='{opp.name}']")
    expect(card.locator("[data-activity-state]")).to_have_text("No activity")

    card.get_by_label(f"Plan an activity on {opp.name}").click()  # click 1
    card.get_by_role("button", name="Call today").click()  # click 2
    expect(page.get_by_text("Call planned for")).to_be_visible()
    card = page.locator(f".kcard[data-name='{opp.name}']")
    expect(card.locator("[data-activity-state]")).to_have_attribute("data-activity-state", "today")
    activity = Activity.objects.get()
    assert (activity.activity_type_id, activity.allocated_to_id) == ("Call", sales.pk)
    assert activity.due_date == timezone.localdate()

    # the next day: the live server runs in this process, so moving the clock moves its "today"
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        page.goto(BOARD)
        card = page.locator(f".kcard[data-name='{opp.name}']")
        expect(card.locator("[data-activity-state]")).to_have_attribute(
            "data-activity-state", "overdue"
        )
        expect(card.locator("[data-activity-state]")).to_have_class("badge badge-red")
        page.screenshot(path=str(RESULTS / "activities-board-overdue.png"), full_page=True)

        page.goto("/crm/opportunities/")
        row = page.get_by_role("row").filter(has_text="Acme rollout")
        expect(row.locator("[data-activity-state]")).to_have_attribute(
            "data-activity-state", "overdue"
        )

        page.goto("/")
        overdue = page.locator("[data-activity-group=overdue]")
        expect(overdue).to_contain_text("Call")
        expect(overdue).to_contain_text(opp.name)

        overdue.get_by_role("link", name="Call").click()
        expect(page.get_by_role("heading", name="Activities")).to_be_visible()
        page.get_by_label("Outcome of Call").fill("Reached her; demo on Friday")
        page.get_by_role("button", name="Done").click()
        expect(page.get_by_text("Done: Call.")).to_be_visible()
        expect(page.get_by_text("No activity planned.")).to_be_visible()
        expect(page.get_by_text("Call done: Call — Reached her; demo on Friday")).to_be_visible()
