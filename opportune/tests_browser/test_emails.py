"""Emails in a real browser: the opportunity's Emails card shows a hostile HTML email without a
content-security-policy violation (no script ran, no remote image was asked for), the quoted
history folded until opened, and an email written on the page while the mail server is down
shows queued (the worker ran at once: it found nobody listening)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from opportune.comms.models import EmailAccount
from opportune.comms.services import ingest_email
from opportune.comms.tests.helpers import build_world, raw
from opportune.testing import free_port, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def test_the_emails_card_and_compose(page: Page, sales, tmp_path):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.add_init_script(WATCH)
    with override_settings(MEDIA_ROOT=tmp_path):
        world = build_world(sales)
        EmailAccount.objects.create(
            name="Sales",
            email_id="sales@sales.example",
            smtp_host="127.0.0.1",
            smtp_port=free_port(),  # nobody listens: the mail server is down
            smtp_use_starttls=False,
            default_outgoing=True,
        )
        ingest_email(raw("01_gmail_reply.eml"))
        ingest_email(raw("12_html_only_script_remote_image.eml"))
        log_in(page, "sales")
        page.goto(f"/crm/opportunities/{world.opp1.name}/")
        card = page.locator("#emails")
        expect(card).to_contain_text("the quote looks good")
        expect(card).to_contain_text("We accept the <final> offer & terms.")
        quote = card.locator("details.email-quote").first
        expect(quote.get_by_text("please find our offer below")).to_be_hidden()
        quote.locator("summary").click()
        expect(quote.get_by_text("please find our offer below")).to_be_visible()
        assert page.evaluate("window.__cspViolations") == []
        assert not [url for url in requested if "tracker.example" in url or "evil" in url]

        page.get_by_role("link", name="Write an email").click()
        page.get_by_label("Subject").fill("Delivery in January")
        page.get_by_label("Message").fill("Dear Grace,\nyes, January works.")
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".alert, .messages").first).to_contain_text("Email queued")
        sent = page.locator("#emails article").last
        expect(sent).to_contain_text("yes, January works.")
        expect(sent.locator(".badge").first).to_contain_text(
            "Queued: the mail server is not answering"
        )
