"""The real journeys of a sales user, in a real browser."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from opportune.crm import services
from opportune.crm.models import Competitor, Opportunity
from opportune.testing import RESULTS, log_in, make_item, make_lead, make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_log_in_and_out(page: Page, sales):
    page.goto("/crm/opportunities/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username").fill("sales")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("did not match")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Opportunities")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Opportunities")).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_lead_to_opportunity_with_two_items(page: Page, sales):
    make_item("WIDGET", rate="100")
    make_item("GADGET", rate="250.50")
    log_in(page, "sales")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.get_by_role("link", name="New lead").click()
    page.get_by_label("Person's name").fill("Grace Hopper")
    page.get_by_label("Company name").fill("Compilers Inc")
    page.get_by_label("Email").fill("grace@compilers.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Grace Hopper"))).to_be_visible()

    page.get_by_role("link", name="Make Opportunity").click()
    expect(page.locator("[data-party-label]")).to_have_text("Grace Hopper · Compilers Inc")
    # the label is drawn by the server; "+ Add item" works once the form's deferred script ran
    page.wait_for_load_state("domcontentloaded")
    page.get_by_role("button", name="+ Add item").click()
    page.get_by_label("Item code, row 0").fill("WIDGET")
    expect(page.get_by_label("Rate, row 0")).to_have_value("100.0000")  # the item's rate
    page.get_by_label("Quantity, row 0").fill("2")
    page.get_by_role("button", name="+ Add item").click()
    page.get_by_label("Item code, row 1").fill("GADGET")
    expect(page.get_by_label("Rate, row 1")).to_have_value("250.5000")
    page.get_by_label("Quantity, row 1").fill("3")
    expect(page.locator("[data-items-total]")).to_have_text("951.50")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#items-total")).to_have_text("USD 951.50")
    opportunity = Opportunity.objects.get()
    assert opportunity.lead is not None
    assert (opportunity.lead.lead_name, opportunity.total, opportunity.items.count()) == (
        "Grace Hopper",
        Decimal("951.50"),
        2,
    )


def test_party_picker_search_as_you_type(page: Page, sales):
    make_lead(sales, lead_name="Ada Lovelace", company_name="Analytical Engines")
    log_in(page, "sales")
    page.goto("/crm/opportunities/new/")
    page.get_by_label("Find the lead").fill("analyt")
    # the answer to the typed text, not the list of every lead shown on focus
    expect(page.locator("#party-results button")).to_have_count(1)
    page.get_by_role("button", name=re.compile("Ada Lovelace")).click()
    expect(page.locator("[data-party-label]")).to_have_text("Ada Lovelace · Analytical Engines")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Analytical Engines"))).to_be_visible()


def test_declare_lost_with_two_reasons_then_reopen(page: Page, sales):
    Competitor.objects.create(name="Acme Corp")
    opp = make_opportunity(sales, title="Lost deal")
    log_in(page, "sales")
    page.goto(f"/crm/opportunities/{opp.name}/")
    page.get_by_role("button", name="Declare Lost").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Declare Lost").click()  # no reason: refused
    expect(page.get_by_role("dialog")).to_contain_text("Give at least one lost reason.")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Too expensive").check()
    dialog.get_by_label("No budget").check()
    dialog.get_by_label("Acme Corp").check()
    dialog.get_by_label("Detailed reason").fill("They froze the budget.")
    dialog.get_by_role("button", name="Declare Lost").click()

    lost = page.locator("#lost-info")
    expect(lost).to_contain_text("Too expensive")
    expect(lost).to_contain_text("No budget")
    expect(lost).to_contain_text("Acme Corp")
    expect(page.locator("#status-badge")).to_have_text("Lost")
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator("#status-badge")).to_have_text("Open")
    expect(page.locator("#lost-info")).to_have_count(0)
    opp.refresh_from_db()
    assert (opp.status, opp.lost_reasons.count()) == ("Open", 0)


def test_filter_the_list_and_reload_the_bookmarked_url(page: Page, sales):
    wanted = make_opportunity(sales, sales_stage="Qualification", title="Qualified deal")
    make_opportunity(sales, sales_stage="Prospecting", title="Early deal")
    log_in(page, "sales")
    page.goto("/crm/opportunities/")
    page.get_by_text("Filters", exact=True).click()
    filters = page.get_by_role("search", name="Filter opportunities")
    filters.get_by_label("Sales stage").select_option("Qualification")
    page.get_by_role("checkbox", name="Open").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sales_stage=Qualification"))
    rows = page.locator("#opportunity-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(wanted.name)

    bookmark = page.url
    page.goto("/")
    page.goto(bookmark)
    expect(rows).to_have_count(1)
    expect(filters.get_by_label("Sales stage")).to_have_value("Qualification")
    expect(page.get_by_role("checkbox", name="Open")).to_be_checked()
    page.goto(bookmark + "&expected_closing__gte=2026-13-45")
    expect(page.get_by_role("alert")).to_contain_text("expected_closing__gte")


def test_bulk_assign_from_the_list(page: Page, sales, sales2):
    a = make_opportunity(sales, title="Deal A")
    b = make_opportunity(sales, title="Deal B")
    log_in(page, "sales")
    page.goto("/crm/opportunities/")
    page.get_by_label(f"Select {a.name}").check()
    page.get_by_label(f"Select {b.name}").check()
    page.get_by_label("Assign to").select_option("sales2")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status")).to_contain_text("Updated 2 opportunities.")
    assert set(Opportunity.objects.values_list("opportunity_owner__username", flat=True)) == {
        "sales2"
    }


def test_a_stale_edit_is_refused_with_a_message(page: Page, sales, sales2):
    opp = make_opportunity(sales, title="Original")
    log_in(page, "sales")
    page.goto(f"/crm/opportunities/{opp.name}/edit/")
    services.update_opportunity(opp, data={"title": "Saved first"}, version=1, by=sales2)
    page.get_by_label("Title", exact=True).fill("My title")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("was changed by someone else")
    expect(page.get_by_label("Title", exact=True)).to_have_value("My title")
    opp.refresh_from_db()
    assert (opp.title, opp.version) == ("Saved first", 2)


MAIN_PAGES = {
    "home": "/",
    "list": "/crm/opportunities/",
    "board": "/crm/opportunities/board/",
    "new": "/crm/opportunities/new/",
    "leads": "/crm/leads/",
    "customers": "/crm/customers/",
    "masters": "/crm/masters/",
    "profile": "/accounts/profile/",
}


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_fit_desktop_and_phone(page: Page, sales, width):
    make_item("WIDGET", rate="100")
    lead = make_lead(sales)
    opp = make_opportunity(
        sales,
        party=lead,
        title="A deal with a rather long title to wrap",
        items=[{"item_code": "WIDGET", "qty": 2}],
        opportunity_owner="sales",
    )
    services.add_opportunity_comment(opp, content="First call went well.", by=sales)
    services.update_opportunity(opp, data={"sales_stage": "Qualification"}, version=1, by=sales)
    pages = {
        **MAIN_PAGES,
        "detail": f"/crm/opportunities/{opp.name}/",
        "edit": f"/crm/opportunities/{opp.name}/edit/",
        "lead": f"/crm/leads/{lead.name}/",
    }
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "sales")
    shots = RESULTS / "screens"
    shots.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / f"{width}-{name}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the {width}px screen"
