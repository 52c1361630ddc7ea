"""Issue 9's journey in a real browser: a manager builds an assignment rule in the condition
builder, two opportunities made on the page are handed out by it (round robin, with the reason on
the page), and a next-contact reminder arrives in the assignee's bell when the worker's job runs
at the contact time (the clock injected, never waited for)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from opportune.accounts.roles import SALES_USER
from opportune.activities.services import send_due_reminders
from opportune.automation.models import Assignment
from opportune.crm import services as crm
from opportune.crm.models import Opportunity
from opportune.testing import log_in, make_lead, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def build_rule(page: Page) -> None:
    page.goto("/assignment-rules/new/")
    page.fill("#r-name", "Sales rota")
    assign = page.locator("[data-condition=assign_condition]")
    first = assign.locator("[data-row]").nth(0)
    first.locator("select[name=assign_condition-field]").select_option("opportunity_type")
    first.locator("select[name=assign_condition-op]").select_option("eq")
    first.locator("input").fill("Sales")
    page.get_by_role("button", name="All days").click()
    users = page.locator("[data-condition=users]")
    users.locator("[data-row] select").nth(0).select_option("sales")
    users.locator("[data-add-row]").click()
    users.locator("[data-row] select").nth(1).select_option("sales2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Assignment rule Sales rota saved.")).to_be_visible()


def new_opportunity_for(page: Page, lead_name: str) -> str:
    page.goto("/crm/opportunities/new/")
    page.get_by_label("Find the lead").fill(lead_name)
    # the list of the typed name (focusing the box first lists every lead: wait for the answer to
    # the name, so the click does not land on a list being replaced)
    expect(page.locator("#party-results button")).to_have_count(1)
    page.get_by_role("button", name=lead_name).click()
    expect(page.locator("[data-party-name]")).not_to_be_empty()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Assignments")).to_be_visible()
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def test_a_rule_built_on_the_page_hands_out_deals_and_the_reminder_reaches_the_bell(
    page: Page, manager, sales
):
    make_user("sales2", SALES_USER)
    make_lead(manager, lead_name="Ada Lovelace")
    make_lead(manager, lead_name="Charles Babbage", email_id="charles@engines.example")
    log_in(page, "manager")
    build_rule(page)

    first = new_opportunity_for(page, "Ada Lovelace")
    card = page.locator("#assignments")
    expect(card).to_contain_text("Sam Seller")
    expect(card).to_contain_text("Rule Sales rota: Round Robin, first in the list")
    second = new_opportunity_for(page, "Charles Babbage")
    expect(page.locator("#assignments")).to_contain_text("Round Robin, after sales")
    assigned = dict(
        Assignment.objects.filter(status="Open").values_list(
            "reference_name", "allocated_to__username"
        )
    )
    assert assigned == {first: "sales", second: "sales2"}
    # ERPNext's _assign: the owner field follows the assignment
    owners = dict(Opportunity.objects.values_list("name", "opportunity_owner__username"))
    assert owners == {first: "sales", second: "sales2"}

    # sales plans a call for tomorrow 10:00; the worker's reminder job runs at that time
    opp = Opportunity.objects.get(pk=first)
    call_at = (timezone.now() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    crm.update_opportunity(
        opp,
        data={"contact_date": call_at, "contact_by": "sales"},
        version=opp.version,
        by=sales,
    )
    assert send_due_reminders(now=call_at + dt.timedelta(minutes=1)) == 1

    page.get_by_role("button", name="Log out").click()
    log_in(page, "sales")
    bell = page.locator("#bell")
    # the assignment and the reminder
    expect(bell).to_have_attribute("aria-label", "Notifications: 2 unread")
    bell.click()
    expect(page.get_by_text("Reminder: Contact Ada Lovelace")).to_be_visible()
    expect(page.get_by_text(f"assigned Opportunity {first} to you")).to_be_visible()
