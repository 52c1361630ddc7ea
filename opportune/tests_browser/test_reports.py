"""The reports in a real browser: each one opens with its chart drawn (a Chart.js instance on its
canvas), a filter changed in the form lands in the URL, and reloading that bookmark brings the same
view back, chart drawn; a header click sorts the table. No console error (the page fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opportune.reports.tests.world import build
from opportune.testing import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# slug, the dates that hold the world's figures, the filter changed: (name, new value)
JOURNEYS = [
    ("lost-opportunities", "2026-02-01", "2026-03-31", ("group_by", "lost_reason")),
    ("lost-quotations", "2026-02-01", "2026-03-31", ("measure", "amount")),
    ("sales-pipeline", "2026-03-01", "2026-04-30", ("based_on", "amount")),
    ("opportunity-summary", "2026-01-01", "2026-12-31", ("data_based_on", "amount")),
    ("sales-funnel", "2026-02-01", "2026-02-28", ("to_date", "2026-02-20")),
    ("forecast", "2026-03-01", "2026-04-30", ("group_by", "opportunity_owner")),
    ("minutes-to-first-response", "2026-02-01", "2026-02-28", ("group_by", "opportunity_owner")),
]


def chart_drawn(page: Page) -> None:
    canvas = page.locator("#report-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('report-chart'))"
    )
    assert (
        page.evaluate(
            "Chart.getChart(document.getElementById('report-chart')).data.datasets.length"
        )
        >= 1
    )


def test_each_report_filters_bookmarks_and_draws(page: Page, sales, sales2, manager):
    build(sales, sales2)
    log_in(page, "manager")
    expect(page.get_by_role("link", name="Reports")).to_be_visible()
    for slug, start, end, (name, value) in JOURNEYS:
        page.goto(f"/reports/{slug}/?from_date={start}&to_date={end}")
        chart_drawn(page)
        field = page.locator(f"#f-{name}")
        if name.endswith("_date"):
            field.fill(value)
        else:
            field.select_option(value)
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(f"**{name}={value}**")
        bookmark = page.url
        chart_drawn(page)
        page.goto("/")
        page.goto(bookmark)  # the bookmark brings the same view back
        chart_drawn(page)
        expect(page.locator(f"#f-{name}")).to_have_value(value)
        expect(page.locator("#f-from_date")).to_have_value(start)
        assert "csv" in (page.locator("[data-export=csv]").get_attribute("href") or "")


def test_the_table_sorts_by_a_column(page: Page, sales, sales2, manager):
    build(sales, sales2)
    log_in(page, "manager")
    page.goto("/reports/lost-opportunities/?from_date=2026-02-01&to_date=2026-03-31")
    chart_drawn(page)
    amounts = page.locator("table[data-sortable] tbody tr td:last-child")
    page.get_by_role("button", name="Amount").click()
    expect(amounts).to_have_text(["300.00", "500.00", "700.00"])
    page.get_by_role("button", name="Amount").click()
    expect(amounts).to_have_text(["700.00", "500.00", "300.00"])


def test_home_draws_the_pipeline_and_the_team(page: Page, sales, sales2, manager):
    build(sales, sales2)
    log_in(page, "manager")
    page.goto("/")
    for canvas in ("pipeline-chart", "team-chart"):
        expect(page.locator(f"#{canvas}")).to_be_visible()
        page.wait_for_function(
            f"() => window.Chart && Chart.getChart(document.getElementById('{canvas}'))"
        )
