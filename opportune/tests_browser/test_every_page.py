"""Every page in a real browser, on a desktop and on a phone (390 px wide), checked by axe-core
(from npm, node_modules/axe-core, installed by ``make vendor``): no serious or critical
accessibility violation anywhere. At 390 px nothing sticks out sideways (only the board's columns
scroll, in the board's own scroller) and the menu button opens the navigation, every link of it
within reach (decision 0029).

``WALK`` lists one URL of every page, filled from one seeded world;
``test_every_page_is_walked`` fails when a page (a URL name that answers a GET with a page, as the
query-count pins know them) is neither walked nor left out below with the reason."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import resolve
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from opportune.accounts.models import ApiToken
from opportune.activities import services as activities
from opportune.activities import todos
from opportune.activities.models import ActivityType
from opportune.automation import services as automation
from opportune.buying.models import RequestForQuotation, SupplierQuotation
from opportune.core import imports, saved_views
from opportune.core.models import DeletedDocument
from opportune.core.tests.test_query_counts import CASES, page_url_names
from opportune.crm import services as crm
from opportune.crm.models import Customer, Lead, Opportunity
from opportune.notifications.services import Message, notify_many
from opportune.reports import snapshots
from opportune.reports.tests.test_win_model import closed_history
from opportune.reports.win_model.services import MIN_CLOSED, train_win_model
from opportune.selling import services as selling
from opportune.selling.models import Quotation, SalesOrder
from opportune.testing import PASSWORD, log_in, make_customer, make_lead, seed_documents
from opportune.webhooks import services as webhooks

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
BLOCKING = ("serious", "critical")

# One URL of every page, its {names} filled from the seeded world (``seed``).
WALK = [
    "/",
    "/search/?q=Ada",
    "/accounts/profile/",
    "/accounts/profile/password/",
    "/notifications/",
    "/calendar/",
    "/calendar/?view=agenda",
    "/calendar/events/new/",
    "/calendar/events/{event}/",
    "/calendar/events/{event}/edit/",
    "/calendar/feed/",
    "/calendar/activities/",
    "/crm/opportunities/",
    "/crm/opportunities/board/",
    "/crm/opportunities/new/",
    "/crm/opportunities/{opportunity}/",
    "/crm/opportunities/{opportunity}/edit/",
    "/crm/opportunities/{opportunity}/email/",
    "/crm/leads/",
    "/crm/leads/new/",
    "/crm/leads/{lead}/",
    "/crm/leads/{lead}/edit/",
    "/crm/leads/{lead}/email/",
    "/crm/leads/{other_lead}/merge/?into={lead}",
    "/crm/customers/",
    "/crm/customers/new/",
    "/crm/customers/{customer}/",
    "/crm/customers/{customer}/edit/",
    "/crm/customers/{other_customer}/merge/?into={customer}",
    "/crm/masters/",
    "/selling/quotations/",
    "/selling/quotations/new/",
    "/selling/quotations/{quotation}/",
    "/selling/quotations/{draft_quotation}/edit/",
    "/selling/sales-orders/",
    "/selling/sales-orders/new/",
    "/selling/sales-orders/{sales_order}/",
    "/selling/sales-orders/{sales_order}/edit/",
    "/buying/suppliers/",
    "/buying/suppliers/new/",
    "/buying/suppliers/Acme/",
    "/buying/suppliers/Acme/edit/",
    "/buying/supplier-groups/",
    "/buying/supplier-quotations/",
    "/buying/supplier-quotations/new/",
    "/buying/supplier-quotations/{supplier_quotation}/",
    "/buying/supplier-quotations/{supplier_quotation}/edit/",
    "/buying/requests-for-quotation/",
    "/buying/requests-for-quotation/new/",
    "/buying/requests-for-quotation/{rfq}/",
    "/buying/requests-for-quotation/{rfq}/edit/",
    "/buying/opportunities/{opportunity}/make-supplier-quotation/",
    "/buying/opportunities/{opportunity}/make-request-for-quotation/",
    "/buying/opportunities/{opportunity}/supplier-quotation-comparison/",
    "/reports/",
    "/reports/sales-pipeline/",
    "/reports/opportunity-summary/",
    "/reports/sales-funnel/",
    "/reports/forecast/",
    "/reports/lost-opportunities/",
    "/reports/lost-quotations/",
    "/reports/minutes-to-first-response/",
    "/reports/targets/",
    "/reports/pipeline-changes/",
    "/reports/forecast-accuracy/",
    "/reports/win-model/",
    "/assignment-rules/",
    "/assignment-rules/new/",
    "/assignment-rules/Rota/edit/",
    "/assignment-rules/dry-run/?document_type=Opportunity&name={opportunity}",
    "/webhooks/",
    "/webhooks/{webhook}/",
    "/audit/?doctype=Campaign",
    "/audit/deleted/",
    "/audit/deleted/{deleted}/",
    "/import/",
    "/import/{import_mapping}/",
    "/import/{import_checked}/",
]
# Walked signed out, before the rest.
SIGNED_OUT = ["/accounts/login/"]

# URL names that answer a GET with no page of their own, with the reason.
NOT_PAGES = {
    "healthz": "a status probe's plain text",
    "activities:event_ics": "a calendar file",
    "crm:email_attachment": "a file download",
    "selling:quotation_pdf": "a PDF",
    "crm:exchange_rate": "JSON for the opportunity form",
    "crm:item_search": "a fragment of the opportunity form (walked inside it)",
    "crm:party_search": "a fragment of the opportunity form (walked inside it)",
    "notifications:bell": "the header's fragment (on every page)",
    "import_result": "a CSV file of each imported row's outcome",
}


def page_names() -> set[str]:
    """The URL names whose query-count pins include a GET: the pages (a name pinned only by
    POSTs is an action, which answers with a redirect)."""
    any_name: defaultdict[str, str] = defaultdict(lambda: "1")
    return {
        resolve(case.path.format_map(any_name)).view_name
        for case in CASES
        if not case.is_api and case.method == "GET"
    }


def walked_names() -> set[str]:
    any_name: defaultdict[str, str] = defaultdict(lambda: "1")
    urls = [url.split("?")[0].format_map(any_name) for url in WALK + SIGNED_OUT]
    return {resolve(url).view_name for url in urls}


def test_every_page_is_walked():
    pages = page_names()
    assert pages <= page_url_names()
    walked = walked_names()
    missing = pages - walked - set(NOT_PAGES)
    assert not missing, f"add these pages to WALK, or to NOT_PAGES saying why: {sorted(missing)}"
    assert not walked & set(NOT_PAGES)


# --- the world ---------------------------------------------------------------------------------
def seed() -> dict[str, str]:
    """One of every record a page shows, made by root (a superuser: every page is theirs)."""
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    seed_documents(root)
    opportunity = Opportunity.objects.get()
    crm.declare_opportunity_lost(
        crm.create_opportunity(
            data={"opportunity_from": "Customer", "party_name": "Babbage Ltd", "title": "Gone"},
            by=root,
        ),
        lost_reasons=["Timing"],
        by=root,
    )
    draft = selling.make_quotation_from_opportunity(opportunity, by=root)
    doomed = crm.create_opportunity(
        data={"opportunity_from": "Customer", "party_name": "Babbage Ltd", "title": "Doomed"},
        by=root,
    )
    crm.delete_opportunity(doomed, version=None, by=root)
    event = activities.create_event(
        data={"subject": "Call Ada", "starts_on": timezone.now() + dt.timedelta(hours=1)}, by=root
    )
    notify_many([Message(root.pk, "reminder", "Call Ada", key="walk")])
    ApiToken.issue(root, "laptop")
    automation.create_assignment_rule(
        data={
            "name": "Rota",
            "document_type": "Opportunity",
            "assign_condition": {"conditions": [{"field": "status", "op": "eq", "value": "Open"}]},
            "rule": "Round Robin",
            "users": ["root"],
        },
        by=root,
    )
    hook, _secret = webhooks.create_webhook(
        data={"name": "Sync", "url": "https://93.184.215.14/hook", "events": ["ping"]}, by=root
    )
    webhooks.send_test(hook, by=root)
    lead = Lead.objects.get()
    customer = Customer.objects.get()
    # the seeded type (activities 0002): a transactional test before this one may have flushed it
    ActivityType.objects.get_or_create(name="Call", defaults={"icon": "📞"})
    todos.create_activity(
        data={
            "activity_type": "Call",
            "summary": "Follow up",
            "due_date": timezone.localdate(),
            "reference_type": "Opportunity",
            "reference_name": opportunity.name,
        },
        by=root,
    )
    for resource in ("opportunities", "opportunity-board"):  # the bar with a view to manage
        saved_views.create_view(
            data={
                "label": "Open ones",
                "resource": resource,
                "query": "status=Open",
                "shared": True,
            },
            by=root,
        )
    closed_history(opportunity, MIN_CLOSED)  # enough closed deals for the win model
    assert train_win_model(now=timezone.now()) is not None
    snapshots.keep_snapshots(today=snapshots.company_today() + dt.timedelta(days=1))
    return {
        "opportunity": opportunity.name,
        "lead": lead.name,
        "other_lead": make_lead(root, lead_name="Ada L.", company_name="Engines").name,
        "customer": customer.name,
        "other_customer": make_customer(root, customer_name="Babbage Limited").name,
        "quotation": Quotation.objects.filter(docstatus=1).get().name,
        "draft_quotation": draft.name,
        "sales_order": SalesOrder.objects.get().name,
        "supplier_quotation": SupplierQuotation.objects.get().name,
        "rfq": RequestForQuotation.objects.get().name,
        "event": str(event.pk),
        "webhook": hook.name,
        "deleted": str(DeletedDocument.objects.get().pk),
        **imported(root),
    }


def imported(root: User) -> dict[str, str]:
    """An upload whose columns are to be mapped, and one after its dry run (a row's error)."""
    data = b"Person Name,Email,Shoe Size\nGrace Hopper,grace@example.com,38\nAda,not-an-email,37\n"
    mapping = imports.upload(doctype="Lead", filename="leads.csv", data=data, by=root)
    checked = imports.upload(doctype="Lead", filename="more-leads.csv", data=data, by=root)
    columns = {"Person Name": "lead_name", "Email": "email_id", "Shoe Size": ""}
    with transaction.atomic():  # as a request's (core.middleware): it locks the job
        imports.start_pass(checked, mapping=columns, mode="check", by=root)
    return {"import_mapping": str(mapping.pk), "import_checked": str(checked.pk)}


# --- the checks --------------------------------------------------------------------------------
AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.impact} ${v.id} (${v.help}): ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""

# What sticks out past the right edge of the screen, outside the board's own scroller (the
# outermost such element only).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  }
  const sticksOut = (el) => {
    if (el.closest(".board") || !el.checkVisibility()) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1;
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (!sticksOut(el) || (el.parentElement && sticksOut(el.parentElement))) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.classList.length ? "." + [...el.classList].join(".") : "");
    found.push(`${name} reaches ${Math.round(el.getBoundingClientRect().right)}px`);
  }
  return found;
}"""


def axe_violations(page: Page) -> list[str]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        # evaluated, not a <script> tag: the content security policy allows no inline script
        page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RUN)


def walk(page: Page, urls: list[str], *, phone: bool) -> list[str]:
    problems = []
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        page.wait_for_load_state("load")
        found = axe_violations(page)
        if phone:
            found += page.evaluate(OVERFLOW)
        problems += [f"{url}: {problem}" for problem in found]
    return problems


@pytest.fixture(scope="module")
def axe_installed():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make vendor` installs it (npm ci).", pytrace=False)


@pytest.mark.usefixtures("axe_installed")
@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_page_passes_axe_on_a_desktop_and_fits_a_phone(page: Page):
    """One world, one browser context: every page at 1280 px, then at 390 px."""
    world = seed()
    urls = [url.format_map(world) for url in WALK]
    problems = []
    for viewport, phone in ((DESKTOP, False), (PHONE, True)):
        page.context.clear_cookies()
        page.set_viewport_size(viewport)
        width = f"{viewport['width']} px"
        problems += [f"{width} {p}" for p in walk(page, SIGNED_OUT, phone=phone)]
        page.get_by_label("Username").fill("root")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        problems += [f"{width} {p}" for p in walk(page, urls, phone=phone)]
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_menu_button_opens_the_navigation_on_a_phone(page: Page, sales):
    page.set_viewport_size(PHONE)
    log_in(page, "sales")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Leads")).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    links = nav.get_by_role("link")
    names = links.all_inner_texts()
    assert names[:5] == ["Home", "Opportunities", "Board", "Leads", "Customers"]
    for link in links.all():  # each one on the screen, whole, and takes a tap
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] >= 44, (link.inner_text(), box)

    nav.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")  # a new page: closed again
    menu.click()  # Escape closes it, the focus back on the button
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(nav.get_by_role("link", name="Leads")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_desktop_shows_the_navigation_without_a_menu_button(page: Page, sales):
    log_in(page, "sales")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Leads")).to_be_visible()


@pytest.mark.usefixtures("axe_installed")
@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_checks_would_see_a_violation(page: Page):
    """The walk's checks themselves: an unnamed field is reported by axe; a box wider than the
    phone is reported, except inside the board's scroller."""
    page.set_viewport_size(PHONE)
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    assert page.evaluate(OVERFLOW) == []
    page.evaluate(
        """() => {
      const main = document.getElementById("main");
      main.append(Object.assign(document.createElement("input"), { type: "text" }));
      const board = Object.assign(document.createElement("div"), { className: "board" });
      board.append(Object.assign(document.createElement("div"), { id: "wide-column" }));
      const wide = Object.assign(document.createElement("div"), { id: "wide-box" });
      main.append(board, wide);
      // widths set through the DOM (the content security policy refuses style attributes)
      for (const el of [board.firstChild, wide]) el.style.setProperty("width", "600px");
    }"""
    )
    assert any(v.startswith("critical label ") for v in axe_violations(page))
    assert "div#wide-box reaches" in " ".join(page.evaluate(OVERFLOW))
    assert "wide-column" not in " ".join(page.evaluate(OVERFLOW))
