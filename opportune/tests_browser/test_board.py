"""The pipeline board in a real browser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import make_opportunity
from opportune.tests_browser.conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BOARD = "/crm/opportunities/board/"


def card_of(page: Page, opp) -> Locator:
    return page.locator(f".kcard[data-name='{opp.name}']")


def drag(page: Page, grip: Locator, target: Locator) -> None:
    """Press on `grip`, then move in steps (as SortableJS's pointer fallback expects) into the
    list `target` and let go."""
    start, end = grip.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 40, steps=15)
    page.mouse.up()


def test_move_on_the_board_saves_the_stage_and_a_refused_move_snaps_back(page: Page, sales):
    opp = make_opportunity(
        sales, sales_stage="Prospecting", title="Board deal", opportunity_amount="1000"
    )
    log_in(page, "sales")
    page.goto(BOARD)
    qualification = page.locator("[data-column='Qualification']")
    drag(
        page, card_of(page, opp).locator(".kcard-meta").first, qualification.locator("[data-cards]")
    )
    expect(page.get_by_role("status")).to_contain_text(f"{opp.name} moved to Qualification")
    expect(qualification.locator("[data-count]")).to_have_text("1")
    expect(qualification.locator("[data-weighted]")).to_have_text("200.00")
    opp.refresh_from_db()
    assert (opp.sales_stage_id, opp.probability) == ("Qualification", Decimal("20.00"))
    page.reload()
    expect(qualification.locator(f".kcard[data-name='{opp.name}']")).to_be_visible()

    page.get_by_role("link", name="Status", exact=True).click()
    drag(
        page,
        card_of(page, opp).locator(".kcard-meta").first,
        page.locator("[data-column='Lost'] [data-cards]"),
    )
    expect(page.get_by_role("alert")).to_contain_text("Use Declare Lost")
    expect(page.locator(f"[data-column='Open'] .kcard[data-name='{opp.name}']")).to_be_visible()
    opp.refresh_from_db()
    assert opp.status == "Open"
