"""The pipeline board in a real browser: drag by any part of a card, click to open it, move it
with the keyboard."""

from __future__ import annotations

import re
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


def drag(page: Page, grip: Locator, target: Locator, *, drop_on: Locator | None = None) -> None:
    """Press on `grip`, move in steps (as SortableJS's pointer fallback expects) into the list
    `target`, then let go there, or on `drop_on` once the card has landed in `target`."""
    start, end = grip.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 40, steps=15)
    if drop_on is not None:
        landed = target.locator(drop_on)  # not the ghost SortableJS leaves in the old list
        expect(landed).to_have_count(1)
        # Aim where it lands, not where it slides through (SortableJS animates the insertion).
        landed.evaluate(
            """el => new Promise((resolve) => {
                const settled = () => !el.closest(".kcard").style.transition
                    ? resolve() : requestAnimationFrame(settled);
                settled();
            })"""
        )
        box = landed.bounding_box()
        page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2, steps=5)
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


def test_a_card_is_dragged_by_its_title_and_a_click_on_the_title_opens_it(page: Page, sales):
    opp = make_opportunity(sales, sales_stage="Prospecting", title="Grab me by the title")
    log_in(page, "sales")
    page.goto(BOARD)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    title = card_of(page, opp).get_by_role("link", name="Grab me by the title")
    qualification = page.locator("[data-column='Qualification']")

    # Picked up by the title and put back where it was: the browser sends a click to the
    # title, which SortableJS swallows because the drag did not move the card.
    box = title.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 30, steps=5)
    page.mouse.move(box["x"] + 11, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    # Moved by the title and let go on the title in its new column: the press and the release
    # are on the same link, yet the browser sends no click (the link moved in between).
    drag(page, title, qualification.locator("[data-cards]"), drop_on=title)
    expect(page.get_by_role("status")).to_contain_text(f"{opp.name} moved to Qualification")
    expect(qualification.locator(f".kcard[data-name='{opp.name}']")).to_be_visible()
    assert navigations == []
    opp.refresh_from_db()
    assert (opp.sales_stage_id, opp.version) == ("Qualification", 2)

    title.click()  # a click without movement
    expect(page).to_have_url(re.compile(rf"/crm/opportunities/{opp.name}/$"))
    expect(page.get_by_role("heading", name=re.compile("Grab me by the title"))).to_be_visible()
    opp.refresh_from_db()
    assert (opp.sales_stage_id, opp.version) == ("Qualification", 2)


def tab_to(page: Page, target: Locator, *, limit: int = 60) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{target} was not reached in {limit} presses of Tab")


def test_a_card_moves_with_the_keyboard_and_the_move_is_announced(page: Page, sales):
    opp = make_opportunity(sales, sales_stage="Prospecting", title="Keyboard deal")
    log_in(page, "sales")
    page.goto(BOARD)
    announcer = page.locator("#messages[aria-live='polite']")
    move = page.get_by_role("button", name=f"Move {opp.name} to another stage")

    tab_to(page, card_of(page, opp).get_by_role("link", name="Keyboard deal"))
    page.keyboard.press("Tab")
    expect(move).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Move {opp.name} to")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Prospecting")).to_be_disabled()  # where it is
    tab_to(page, dialog.get_by_role("button", name="Qualification", exact=True))
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(announcer).to_contain_text(f"{opp.name} moved to Qualification")
    qualification = page.locator("[data-column='Qualification']")
    expect(qualification.locator(f".kcard[data-name='{opp.name}']")).to_be_visible()
    expect(qualification.locator("[data-count]")).to_have_text("1")
    expect(move).to_be_focused()  # the focus travels with the card
    opp.refresh_from_db()
    assert (opp.sales_stage_id, opp.probability, opp.version) == (
        "Qualification",
        Decimal("20.00"),
        2,
    )

    # A refused move (Lost needs Declare Lost) puts the card back and says why.
    page.get_by_role("link", name="Status", exact=True).click()
    move = page.get_by_role("button", name=f"Move {opp.name} to another status")
    tab_to(page, move)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("dialog").get_by_role("button", name="Lost", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Use Declare Lost")
    expect(page.locator(f"[data-column='Open'] .kcard[data-name='{opp.name}']")).to_be_visible()
    expect(page.locator("[data-column='Lost'] [data-count]")).to_have_text("0")
    expect(move).to_be_focused()
    opp.refresh_from_db()
    assert (opp.status, opp.version) == ("Open", 2)
