"""A lead's conversation in a real browser: comments on the lead page, carried to the
opportunity made from it (CRM Settings' carry-forward on)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from opportune.crm.models import CRMSettings
from opportune.testing import log_in, make_lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_lead_comments_follow_it_to_the_opportunity(page: Page, sales):
    CRMSettings.objects.filter(pk=1).update(carry_forward_communication_and_comments=True)
    lead = make_lead(sales, lead_name="Grace Hopper", company_name="Compilers Inc")
    log_in(page, "sales")
    page.goto(f"/crm/leads/{lead.name}/")
    for text in ("Met at the fair: wants a compiler", "Sent the brochure"):
        page.get_by_label("Add a comment").fill(text)
        page.get_by_role("button", name="Add Comment").click()
        expect(page.locator("#timeline")).to_contain_text(text)

    page.get_by_role("link", name="Make Opportunity").click()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/crm/opportunities/CRM-OPP-"))
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Met at the fair: wants a compiler")
    expect(timeline).to_contain_text("Sent the brochure")
    expect(page.locator("#first-response")).to_contain_text("Not yet")
