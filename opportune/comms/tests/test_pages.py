"""The Emails card on the opportunity and lead pages (queued state, folded quotes, sanitised
HTML, attachments to who sees the document) and the compose page (the party's contacts offered,
attachments, the email queued in the outbox)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from opportune.comms.models import Communication
from opportune.comms.services import CLAIM_JOB, ingest_email
from opportune.comms.tests.helpers import build_world, raw
from opportune.core.models import Job
from opportune.testing import client_for, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


def test_the_card_shows_the_thread_safely(sales, sales2):
    world = build_world(sales)
    for name in ("01_gmail_reply.eml", "12_html_only_script_remote_image.eml",
                 "11_out_of_office.eml", "09_attachment_pdf_rfc2231_name.eml"):  # fmt: skip
        ingest_email(raw(name))
    page = client_for(sales).get(f"/crm/opportunities/{world.opp1.name}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "the quote looks good" in html
    assert '<details class="email-quote"><summary>Quoted text</summary>' in html
    assert "tracker.example" not in html and "alert('head')" not in html
    assert "document.cookie" not in html
    assert "We accept the &lt;final&gt; offer &amp; terms." in html
    assert "Automatic reply" in html
    pdf = Communication.objects.get(subject__startswith="Purchase order").attachments.get()
    assert f"/crm/emails/attachments/{pdf.pk}/" in html
    download = client_for(sales).get(f"/crm/emails/attachments/{pdf.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    # another sales user does not see the opportunity: nor its files
    assert client_for(sales2).get(f"/crm/emails/attachments/{pdf.pk}/").status_code == 404


def test_compose_queues_the_email_and_the_page_shows_it_queued(sales):
    world = build_world(sales)
    client = client_for(sales)
    form = client.get(f"/crm/opportunities/{world.opp1.name}/email/")
    assert form.status_code == 200
    assert 'value="grace@babbage.example" checked' in form.content.decode()
    sent = client.post(
        f"/crm/opportunities/{world.opp1.name}/email/",
        {
            "contacts": ["grace@babbage.example"],
            "to": "boss@babbage.example",
            "cc": "",
            "subject": "Our offer",
            "content": "Dear Grace,\nhere it is.",
            "attachments": [SimpleUploadedFile("offer.txt", b"42", content_type="text/plain")],
        },
    )
    assert sent.status_code == 302
    email = Communication.objects.get(subject="Our offer")
    assert email.recipient_list == ["grace@babbage.example", "boss@babbage.example"]
    assert email.attachments.get().filename == "offer.txt"
    assert Job.objects.filter(name=CLAIM_JOB).exists()
    page = client.get(f"/crm/opportunities/{world.opp1.name}/").content.decode()
    assert "Queued" in page and "here it is." in page
    refused = client.post(
        f"/crm/opportunities/{world.opp1.name}/email/",
        {"to": "not an address", "subject": "", "content": ""},
    )
    assert refused.status_code == 422
    assert "is not an email address" in refused.content.decode()


def test_the_lead_page_has_its_emails(sales):
    lead = make_lead(sales, email_id="ada@engines.example")
    ingest_email(
        b"From: ada@engines.example\r\nMessage-ID: <a@e>\r\nSubject: Hi\r\n\r\nHello there\r\n"
    )
    client = client_for(sales)
    assert "Hello there" in client.get(f"/crm/leads/{lead.name}/").content.decode()
    assert (
        'value="ada@engines.example" checked'
        in client.get(f"/crm/leads/{lead.name}/email/").content.decode()
    )
