"""The content security policy in a real browser: the main pages load only the app's own
scripts and styles, report no violation, and their scripts still work (the chart, the item
rows, the board's moves, the party search); the API docs page (Swagger UI) too."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from opportune.selling import services as selling
from opportune.testing import PASSWORD, log_in, make_item, make_lead, make_opportunity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Collected in the page itself, from before its first script runs.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(page: Page):
    """The page, with every CSP violation collected (the DOM event, and the console's words);
    the test ends with none."""
    console: list[str] = []
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.add_init_script(WATCH)
    yield page
    assert console == []


def no_violations(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("window.__cspViolations") == [], page.url


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    no_violations(page)


def test_the_main_pages_run_their_scripts_without_a_violation(watched: Page, sales):
    page = watched
    make_item("W1", rate="10")
    opp = make_opportunity(
        sales, title="CSP deal", sales_stage="Prospecting", items=[{"item_code": "W1", "qty": 2}]
    )
    quotation = selling.make_quotation_from_opportunity(opp, by=sales)
    make_lead(sales, lead_name="Ada Lovelace", company_name="Analytical Engines")

    visit(page, "/accounts/login/")
    log_in(page, "sales")

    visit(page, "/")  # the pipeline chart (Chart.js) draws on its canvas
    expect(page.locator("#pipeline-chart")).to_be_visible()
    assert page.evaluate("Chart.getChart(document.getElementById('pipeline-chart')) !== undefined")

    visit(page, "/crm/opportunities/")
    expect(page.get_by_role("link", name="CSP deal")).to_be_visible()

    visit(page, "/crm/opportunities/new/")  # the item rows script adds a row
    rows = page.locator("[data-item-rows] tr")
    before = rows.count()
    page.locator("[data-add-item]").click()
    expect(rows).to_have_count(before + 1)
    # htmx's party search answers into the page (htmx's own inline style is off)
    page.get_by_label("Find the lead").fill("analyt")
    expect(page.locator("#party-results")).to_contain_text("Ada Lovelace")
    no_violations(page)

    visit(page, "/crm/opportunities/board/")  # the board moves a card (SortableJS + board.js)
    card = page.locator(f".kcard[data-name='{opp.name}']")
    card.locator("[data-move]").click()
    page.locator("[data-move-dialog] [data-move-to='Qualification']").click()
    expect(page.get_by_role("status")).to_contain_text(f"{opp.name} moved to Qualification")
    opp.refresh_from_db()
    assert opp.sales_stage_id == "Qualification"
    no_violations(page)

    visit(page, f"/selling/quotations/{quotation.name}/")
    expect(page.get_by_role("heading", name=quotation.name)).to_be_visible()

    visit(page, f"/crm/opportunities/{opp.name}/")
    visit(page, "/accounts/profile/")
    visit(page, "/accounts/profile/password/")


def test_the_api_docs_run_under_the_policy(watched: Page, sales):
    page = watched
    log_in(page, "sales")
    visit(page, "/api/v1/docs")
    # Swagger UI reads the whole OpenAPI document first: slow on a busy machine
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Opportune API", timeout=60_000
    )
    expect(page.locator(".opblock").first).to_be_visible()
    no_violations(page)


def test_a_violation_would_be_seen(context, live_server):
    """The watch itself works: an inline style the policy refuses is reported, both as the DOM
    event and on the console (a page of its own: the watched page fails on console errors)."""
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.add_init_script(WATCH)
    page.goto("/accounts/login/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__cspViolations")[0].startswith("style-src-attr blocked inline")
    assert any("Content Security Policy" in text for text in console)
    page.close()


def test_the_admin_runs_under_the_policy(watched: Page, db):
    page = watched
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    # The admin's pages name no icon, so the browser asks for /favicon.ico (404, not ours)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    visit(page, "/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    no_violations(page)
    visit(page, "/admin/accounts/apitoken/")
    visit(page, f"/admin/auth/user/{root.pk}/change/")
    expect(page.locator("#id_username")).to_have_value("root")
