"""Every message of the corpus (several clients, charsets, encodings, attachments, a bounce,
auto-replies) lands on the right document with the right text, and is taken in once."""

from __future__ import annotations

import pytest
from django.test import override_settings

from opportune.comms.models import Communication, EmailAccount
from opportune.comms.services import ingest_email
from opportune.comms.tests.helpers import CORPUS, build_world, raw
from opportune.crm.models import Lead

pytestmark = pytest.mark.django_db

OPP1, OPP2, OPP3 = "CRM-OPP-2026-00001", "CRM-OPP-2026-00002", "CRM-OPP-2026-00003"
# file -> (doctype, name ("lead": the world's lead), words of its text, automatic)
EXPECTED = {
    "01_gmail_reply.eml": ("Opportunity", OPP1, "the quote looks good", False),
    "02_outlook_reply_windows1252.eml": ("Opportunity", OPP1, "We\u2019d like 20 units \u2013 delivery", False),
    "03_apple_mail_reply.eml": ("Opportunity", OPP2, "technical drawings for the robot arm", False),
    "04_thunderbird_routing_address.eml": ("Opportunity", OPP1, "warranty two years", False),
    "05_iso8859_1_subject_tag.eml": ("Opportunity", OPP1, "Gr\u00fc\u00dfe aus M\u00fcnchen! Der Preis f\u00fcr 5 St\u00fcck", False),
    "06_windows1252_base64_sender_match.eml": ("Opportunity", OPP1, "\u20ac 1 250 is \u201cfine\u201d for us \u2014 please", False),
    "07_shift_jis_sender_match.eml": ("Opportunity", OPP2, "\u304a\u898b\u7a4d\u3082\u308a\u3042\u308a\u304c\u3068\u3046", False),
    "08_koi8r_sender_match.eml": ("Opportunity", OPP3, "\u0421\u043f\u0430\u0441\u0438\u0431\u043e \u0437\u0430 \u043f\u0440\u0435\u0434\u043b\u043e\u0436\u0435\u043d\u0438\u0435", False),
    "09_attachment_pdf_rfc2231_name.eml": ("Opportunity", OPP1, "Our purchase order is attached.", False),
    "10_bounce_dsn.eml": ("Opportunity", OPP1, "could not\nbe delivered", True),
    "11_out_of_office.eml": ("Opportunity", OPP1, "out of the office until 7 December", True),
    "12_html_only_script_remote_image.eml": ("Opportunity", OPP1, "We accept the <final> offer & terms.", False),
    "13_forwarded_inline.eml": ("Opportunity", OPP1, "See the specs from Charles below.", False),
    "14_encoded_subject_tag_stranger.eml": ("Opportunity", OPP2, "new buyer at Tanaka KK", False),
    "15_unknown_sender_new_lead.eml": ("Lead", "new", "Do you ship to Norway?", False),
    "16_lead_reply.eml": ("Lead", "lead", "Happy to talk next week", False),
    "17_x_autoreply.eml": ("Opportunity", OPP2, "I am travelling until Monday.", True),
    "18_related_inline_image.eml": ("Opportunity", OPP3, "Here is where the machine will stand:", False),
    "19_no_message_id.eml": ("Opportunity", OPP1, "no Message-ID header here", False),
    "20_precedence_auto_reply.eml": ("Opportunity", OPP3, "Vacation responder", True),
    "21_utf8_quoted_printable_references.eml": ("Opportunity", OPP2, "Na\u00efve question: is the caf\u00e9 machine included? \u2714", False),
    "22_stranger_unlinked.eml": ("", "", "nothing to do with any deal", False),
}  # fmt: skip


def test_the_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.fixture
def world(sales, tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield build_world(sales)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_message_lands_on_its_document(world, name):
    doctype, reference, words, automatic = EXPECTED[name]
    account = EmailAccount.objects.create(
        name="Sales",
        email_id="sales@sales.example",
        create_lead_for_unknown_sender=name.startswith("15_"),
    )
    communication, new = ingest_email(raw(name), account=account)
    assert new
    if reference == "lead":
        reference = world.lead.name
    elif reference == "new":
        reference = Lead.objects.get(email_id="nora@prospect.example").name
        assert Lead.objects.get(pk=reference).lead_name == "Nora Prospect"
    assert (communication.reference_doctype, communication.reference_name) == (doctype, reference)
    assert words in communication.text_content
    assert communication.is_automatic is automatic
    assert communication.sent_or_received == "Received"
    # Taken in once: the same message again is the same Communication.
    again, new = ingest_email(raw(name), account=account)
    assert (again.pk, new) == (communication.pk, False)
    assert Communication.objects.filter(sent_or_received="Received").count() == 1


def test_headers_decoded(world):
    latin = ingest_email(raw("05_iso8859_1_subject_tag.eml"))[0]
    assert latin.subject == "Preis f\u00fcr 5 St\u00fcck [CRM-OPP-2026-00001]"
    assert latin.sender_full_name == "Grace H\u00f6pper"
    koi = ingest_email(raw("08_koi8r_sender_match.eml"))[0]
    assert koi.subject == "\u0421\u043f\u0430\u0441\u0438\u0431\u043e"
    assert koi.sender_full_name == "\u0418\u0432\u0430\u043d \u0418\u0432\u0430\u043d\u043e\u0432"
    sj = ingest_email(raw("07_shift_jis_sender_match.eml"))[0]
    assert sj.subject == "\u898b\u7a4d\u3082\u308a\u306e\u4ef6"
    assert sj.sender_full_name == "\u7530\u4e2d \u592a\u90ce"
    mixed_case = ingest_email(raw("06_windows1252_base64_sender_match.eml"))[0]
    assert mixed_case.sender == "grace@babbage.example"


def test_attachments_are_stored(world):
    po = ingest_email(raw("09_attachment_pdf_rfc2231_name.eml"))[0]
    (pdf,) = po.attachments.all()
    assert (pdf.filename, pdf.content_type) == (
        "Bestellung M\u00fcnchen 4711.pdf",
        "application/pdf",
    )
    assert pdf.file.read().startswith(b"%PDF-1.4")
    assert "<b>purchase order</b>" in po.html_content
    photo = ingest_email(raw("18_related_inline_image.eml"))[0]
    (png,) = photo.attachments.all()
    assert (png.filename, png.content_id, png.size) == ("site.png", "site-photo@ivanov", 70)
    assert 'src="cid:site-photo@ivanov"' in photo.html_content


def test_html_is_sanitised(world):
    html = ingest_email(raw("12_html_only_script_remote_image.eml"))[0].html_content
    for banned in ("<script", "alert", "onload", "onclick", "tracker.example", "<iframe",
                   "javascript:", "<style", "evil.example"):  # fmt: skip
        assert banned not in html, banned
    assert '<a href="https://babbage.example/terms" rel="noopener noreferrer nofollow">' in html
    assert "We accept the &lt;final&gt; offer &amp; terms." in html


def test_quoted_history_is_split_off(world):
    gmail = ingest_email(raw("01_gmail_reply.eml"))[0]
    assert "the quote looks good" in gmail.html_content
    assert "please find our offer" not in gmail.html_content
    assert "please find our offer" in gmail.html_quoted
    outlook = ingest_email(raw("02_outlook_reply_windows1252.eml"))[0]
    assert "delivery by Friday" in outlook.html_content
    assert "Dear Grace" in outlook.html_quoted
    apple = ingest_email(raw("03_apple_mail_reply.eml"))[0]
    assert "Here is our offer" in apple.html_quoted
    assert "Here is our offer" not in apple.html_content
