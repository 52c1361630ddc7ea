"""The email API: email accounts (managers; passwords write-only, encrypted at rest), raw MIME
from a gateway (inbound-email), the thread of an opportunity or a lead, and the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from opportune.comms import crypto
from opportune.comms.models import Communication, EmailAccount
from opportune.comms.tests.helpers import CORPUS, build_world, raw
from opportune.testing import ApiClient, make_lead, make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


def test_accounts_are_managed_by_managers_with_write_only_passwords(manager, sales):
    api = ApiClient(manager)
    made = api.post(
        "email-accounts",
        {
            "name": "Sales",
            "email_id": "sales@sales.example",
            "smtp_host": "smtp.sales.example",
            "smtp_password": "s3cret-smtp",
            "imap_host": "imap.sales.example",
            "imap_password": "s3cret-imap",
            "enable_incoming": True,
            "default_outgoing": True,
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert "s3cret" not in made.content.decode()
    assert (body["has_smtp_password"], body["has_imap_password"]) == (True, True)
    stored = EmailAccount.objects.get()
    assert "s3cret" not in stored.smtp_password_encrypted
    assert stored.smtp_password == "s3cret-smtp" and stored.imap_password == "s3cret-imap"
    assert "s3cret" not in api.get("email-accounts").content.decode()
    changed = api.patch(
        "email-accounts/Sales", {"smtp_port": 465, "smtp_use_ssl": True, "version": 1}
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert api.patch("email-accounts/Sales", {"smtp_port": 25, "version": 1}).status_code == 409
    refused = api.post("email-accounts", {"name": "Bad", "email_id": "not-an-address"})
    assert refused.status_code == 422 and "email_id" in refused.json()["error"]["fields"]
    assert ApiClient(sales).get("email-accounts").status_code == 403
    assert api.delete("email-accounts/Sales").status_code == 204
    assert not EmailAccount.objects.exists()


def test_the_key_comes_from_the_environment(monkeypatch):
    from cryptography.fernet import Fernet

    derived = crypto.encrypt("pw")
    monkeypatch.setenv(crypto.KEY_ENV, Fernet.generate_key().decode())
    assert crypto.decrypt(derived) == ""  # another key: unreadable, never an error
    assert crypto.decrypt(crypto.encrypt("pw")) == "pw"


def test_inbound_email_threads_raw_mime(manager, sales, django_assert_num_queries):
    world = build_world(sales)
    EmailAccount.objects.create(name="Sales", email_id="sales@sales.example")
    api = ApiClient(manager)
    url = "/api/v1/inbound-email?account=Sales"

    def post(data: bytes, content_type: str = "message/rfc822"):
        return api.client.post(url, data, content_type=content_type, headers=api.headers)

    post(raw("22_stranger_unlinked.eml"))  # the token's last use written: the steady state
    # the token with its roles (one query); the account; the Message-ID seen?; threading
    # (In-Reply-To: one lookup, the reference); the INSERT; the opportunity locked, read, its
    # history; savepoints
    with django_assert_num_queries(13):
        answer = post(raw("01_gmail_reply.eml"))
    assert answer.status_code == 201, answer.content
    assert answer.json() == {
        "id": answer.json()["id"],
        "created": True,
        "reference_doctype": "Opportunity",
        "reference_name": world.opp1.name,
        "is_automatic": False,
    }
    again = post(raw("01_gmail_reply.eml"))
    assert (again.status_code, again.json()["created"]) == (200, False)
    refused = post(b'{"a": 1}', "application/json")
    assert refused.status_code == 422 and "body" in refused.json()["error"]["fields"]
    unknown = api.client.post(
        "/api/v1/inbound-email?account=Nope",
        raw("05_iso8859_1_subject_tag.eml"),
        content_type="message/rfc822",
        headers=api.headers,
    )
    assert unknown.status_code == 422 and "account" in unknown.json()["error"]["fields"]
    sales_api = ApiClient(sales)
    forbidden = sales_api.client.post(
        url, raw("05_iso8859_1_subject_tag.eml"), content_type="message/rfc822",
        headers=sales_api.headers,
    )  # fmt: skip
    assert forbidden.status_code == 403
    assert Communication.objects.filter(sent_or_received="Received").count() == 2


def test_the_thread_of_an_opportunity_through_the_api(sales, sales2):
    opportunity = make_opportunity(sales)
    api = ApiClient(sales)
    sent = api.post(
        f"opportunities/{opportunity.name}/communications",
        {"recipients": ["grace@babbage.example"], "cc": ["boss@babbage.example"],
         "subject": "Offer", "content": "<b>Hello</b> & welcome"},
    )  # fmt: skip
    assert sent.status_code == 201, sent.content
    assert (sent.json()["status"], sent.json()["text_content"]) == (
        "Queued",
        "<b>Hello</b> & welcome",
    )
    assert sent.json()["cc"] == ["boss@babbage.example"]
    thread = api.get(f"opportunities/{opportunity.name}/communications").json()
    assert [c["subject"] for c in thread] == ["Offer"]
    bad = api.post(
        f"opportunities/{opportunity.name}/communications",
        {"recipients": ["nobody"], "subject": "x", "content": "y"},
    )
    assert bad.status_code == 422 and "recipients" in bad.json()["error"]["fields"]
    # another sales user does not see the opportunity, nor its emails
    assert (
        ApiClient(sales2).get(f"opportunities/{opportunity.name}/communications").status_code == 404
    )


def test_a_lead_talks_too(sales):
    lead = make_lead(sales, email_id="ada@engines.example")
    api = ApiClient(sales)
    assert (
        api.post(
            f"leads/{lead.name}/communications",
            {
                "recipients": ["ada@engines.example"],
                "subject": "Hello",
                "content": "Shall we talk?",
            },
        ).status_code
        == 201
    )
    sent = Communication.objects.get()
    reply = (
        f"From: ada@engines.example\r\nIn-Reply-To: {sent.message_id}\r\n"
        "Message-ID: <ada-1@engines.example>\r\nSubject: Re: Hello\r\n\r\nYes!\r\n"
    ).encode()
    from opportune.comms.services import ingest_email

    ingest_email(reply)
    # a mail from the lead's address alone threads onto it too, while it has no open opportunity
    ingest_email(b"From: Ada <ADA@engines.example>\r\nMessage-ID: <ada-2@e>\r\n\r\nMore.\r\n")
    thread = api.get(f"leads/{lead.name}/communications").json()
    assert [c["text_content"] for c in thread] == ["Shall we talk?", "Yes!", "More."]
    # once it has an open opportunity, the sender's next email goes there
    from opportune.crm import services as crm

    opportunity = crm.make_opportunity_from_lead(lead, by=sales)
    later, _ = ingest_email(b"From: ada@engines.example\r\nMessage-ID: <ada-3@e>\r\n\r\nDeal.\r\n")
    assert (later.reference_doctype, later.reference_name) == ("Opportunity", opportunity.name)


def test_the_command_takes_files_in(sales):
    world = build_world(sales)
    out = StringIO()
    files = [str(CORPUS / "03_apple_mail_reply.eml"), str(CORPUS / "03_apple_mail_reply.eml")]
    call_command("ingest_email", *files, stdout=out)
    lines = out.getvalue().splitlines()
    assert f"taken in, on Opportunity {world.opp2.name}" in lines[0]
    assert "already taken in" in lines[1]
    assert Communication.objects.filter(sent_or_received="Received").count() == 1


def test_an_attachment_named_like_a_path_is_stored_under_a_plain_name(manager, sales):
    """A sender names an attachment "..", "../../etc/passwd" or ".hidden": it is taken in (201,
    never a 500) and stored under the media folder with no path part of the sender's."""
    EmailAccount.objects.create(name="Sales", email_id="sales@sales.example")
    api = ApiClient(manager)
    parts = []
    for i, name in enumerate(["..", "../../etc/passwd", ".hidden", "."]):
        parts.append(
            "--b\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8{i}\r\n"
        )
    message = (
        "From: Eve <eve@elsewhere.example>\r\nTo: sales@sales.example\r\n"
        "Subject: files\r\nMessage-ID: <paths@elsewhere.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" + "".join(parts) + "--b--\r\n"
    ).encode()
    answer = api.client.post(
        "/api/v1/inbound-email?account=Sales", message, content_type="message/rfc822",
        headers=api.headers,
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    stored = Communication.objects.get(pk=answer.json()["id"]).attachments.all()
    for attachment in stored:
        assert ".." not in attachment.file.name.split("/")
        assert attachment.file.name.startswith("comms/")
        assert not attachment.filename.startswith(".")
