"""The pipeline board in a real browser: drag by any part of a card, click to open it, move it
with the keyboard, and on a phone scroll it column by column."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from opportune.testing import log_in, make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BOARD = "/crm/opportunities/board/"


def card_of(page: Page, opp) -> Locator:
    return page.locator(f".kcard[data-name='{opp.name}']")


def box_of(locator: Locator) -> FloatRect:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not visible"
    return box


def drag(page: Page, grip: Locator, target: Locator, *, drop_on: Locator | None = None) -> None:
    """Press on `grip`, move in steps (as SortableJS's pointer fallback expects) into the list
    `target`, then let go there, or on `drop_on` once the card has landed in `target`."""
    start, end = box_of(grip), box_of(target)
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
        box = box_of(landed)
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
    box = box_of(title)
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


BOARD_JS = "document.querySelector('[data-board]')"
SNAPPED = """board => Array.from(board.querySelectorAll("[data-column]")).some((column) => Math.abs(
    column.getBoundingClientRect().left - board.getBoundingClientRect().left
    - parseFloat(getComputedStyle(board).scrollPaddingLeft)) < 1)"""


def wait_until(page: Page, script: str, timeout_ms: int = 15_000) -> None:
    """Poll ``script`` until it is true. (Not ``wait_for_function``: Playwright compiles a
    function predicate with eval inside the page, which the content security policy refuses.)"""
    for _ in range(timeout_ms // 50):
        if page.evaluate(script):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {script}")


def test_on_a_phone_the_columns_scroll_sideways_one_by_one(page: Page, sales):
    opp = make_opportunity(sales, sales_stage="Prospecting", title="Phone deal")
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, "sales")
    page.goto(BOARD)
    board = page.locator("[data-board]")
    expect(board).to_have_css("scroll-snap-type", "x mandatory")
    aligns = board.locator("[data-column]").evaluate_all(
        "columns => columns.map((column) => getComputedStyle(column).scrollSnapAlign)"
    )
    assert set(aligns) == {"start"}, aligns
    assert board.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls sideways
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"

    # A swipe of two thirds of a column settles on the next column, not in between.
    box = box_of(board)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 100)
    page.mouse.wheel(box["width"] * 0.55, 0)
    wait_until(page, f"(board => board.scrollLeft > 0 && ({SNAPPED})(board))({BOARD_JS})")

    # A card held against the edge scrolls the board (snapping would undo each step, so it is
    # off while dragging) to a column that was off screen; let go, the board snaps again.
    board.evaluate("el => { el.scrollLeft = 0; }")
    target = page.locator("[data-column='Needs Analysis'] [data-cards]")
    grip = box_of(card_of(page, opp).locator(".kcard-meta").first)
    edge, y = box["x"] + box["width"] - 8, grip["y"] + 10
    page.mouse.move(grip["x"] + 10, y)
    page.mouse.down()
    page.mouse.move(grip["x"] + 40, y + 10, steps=5)
    page.mouse.move(edge, y, steps=10)
    for step in range(200):
        if box_of(target)["x"] < box["width"] - 120:
            break
        page.mouse.move(edge - step % 2, y)  # a hand is never quite still
        page.wait_for_timeout(25)
    else:
        pytest.fail("the board did not scroll while a card was held at its edge")
    landing = box_of(target)
    page.mouse.move(landing["x"] + 40, landing["y"] + 40, steps=5)
    page.mouse.up()
    expect(page.get_by_role("status")).to_contain_text(f"{opp.name} moved to Needs Analysis")
    opp.refresh_from_db()
    assert opp.sales_stage_id == "Needs Analysis"
    wait_until(page, f"({SNAPPED})({BOARD_JS})")
