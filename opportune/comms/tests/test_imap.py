"""IMAP polling against a real server (dovecot, started by the test): new messages taken in once,
UIDVALIDITY and the last UID remembered, a changed UIDVALIDITY read again without duplicates,
and the whole journey: an email sent over SMTP, its reply delivered to the mailbox and polled in."""

from __future__ import annotations

import pytest
from django.test import override_settings

from opportune.comms.imap import poll_account
from opportune.comms.models import Communication, EmailAccount
from opportune.comms.services import CLAIM_JOB, SMTP_JOB, queue_email
from opportune.comms.tasks import POLL_JOB
from opportune.comms.tests.helpers import build_world, raw
from opportune.comms.tests.imap_server import imap_server
from opportune.core.jobs import run_job
from opportune.core.models import Job
from opportune.core.schedule import scheduled_job
from opportune.testing import make_opportunity, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(tmp_path):
    with imap_server() as server, override_settings(MEDIA_ROOT=tmp_path / "media"):
        yield server


def account_for(server, **extra) -> EmailAccount:
    account = EmailAccount(
        name="Sales",
        email_id="sales@sales.example",
        imap_host="127.0.0.1",
        imap_port=server.port,
        imap_use_ssl=False,
        imap_user=server.user,
        enable_incoming=True,
        **extra,
    )
    account.imap_password = server.password
    account.save()
    return account


def test_polling_takes_each_message_once(sales, mailbox):
    world = build_world(sales)
    account = account_for(mailbox)
    for name in ("01_gmail_reply.eml", "07_shift_jis_sender_match.eml", "10_bounce_dsn.eml"):
        mailbox.deliver(name, raw(name))
    assert poll_account(account) == 3
    account.refresh_from_db()
    assert account.last_uid == 3 and account.uidvalidity
    received = Communication.objects.filter(sent_or_received="Received")
    assert sorted(received.values_list("reference_name", flat=True)) == sorted(
        [world.opp1.name, world.opp2.name, world.opp1.name]
    )
    assert poll_account(account) == 0  # nothing new
    mailbox.deliver("16", raw("16_lead_reply.eml"))
    assert poll_account(account) == 1
    assert Communication.objects.get(reference_name=world.lead.name).text_content.startswith(
        "Happy to talk"
    )
    # The mailbox was rebuilt (another UIDVALIDITY): read from the start, nothing doubled.
    EmailAccount.objects.filter(pk=account.pk).update(uidvalidity=1)
    account.refresh_from_db()
    assert poll_account(account) == 0
    assert received.count() == 4
    account.refresh_from_db()
    assert account.last_uid == 4


def test_the_schedule_polls_every_account_with_incoming_mail(sales, mailbox):
    build_world(sales)
    account_for(mailbox)
    mailbox.deliver("03", raw("03_apple_mail_reply.eml"))
    schedule = scheduled_job("comms.poll_imap")
    assert schedule is not None and schedule.cron == "*/5 * * * *"
    job = schedule.handler(scheduled_for="2026-12-06T10:00")
    assert job == 1
    (poll,) = Job.objects.filter(name=POLL_JOB)
    assert run_job(poll.pk) == "done"
    assert Communication.objects.filter(sent_or_received="Received").count() == 1


def test_a_wrong_password_is_noted_not_raised(sales, mailbox):
    from opportune.comms.tasks import poll_account_job

    account = account_for(mailbox)
    account.imap_password = "wrong"
    account.save()
    assert poll_account_job(account_id=account.pk) == 0
    account.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in account.last_poll_error


def test_the_journey_send_reply_poll(sales, mailbox):
    opportunity = make_opportunity(sales, contact_email="grace@babbage.example")
    account = account_for(mailbox)
    with smtp_server() as inbox:
        queue_email(
            reference_doctype="Opportunity",
            reference_name=opportunity.name,
            recipients=["grace@babbage.example"],
            subject="Our offer",
            content="Dear Grace, here it is.",
            by=sales,
        )
        for name in (CLAIM_JOB, SMTP_JOB):
            for job in Job.objects.filter(name=name, status=Job.Status.PENDING):
                run_job(job.pk)
    (sent,) = inbox.messages
    opportunity.refresh_from_db()
    assert opportunity.status == "Replied" and opportunity.first_responded_on is not None
    # Grace's client replies to the Reply-To, quoting; it lands in the mailbox, polled in.
    reply = (
        "From: Grace <grace@babbage.example>\r\n"
        f"To: {sent['Reply-To']}\r\n"
        f"Subject: Re: {sent['Subject']}\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\n"
        f"References: {sent['Message-ID']}\r\n"
        "Message-ID: <grace-reply@babbage.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Looks good, send the order form.\r\n\r\n"
        "On Mon, Sales wrote:\r\n> Dear Grace, here it is.\r\n"
    ).encode()
    mailbox.deliver("reply", reply)
    assert poll_account(account) == 1
    received = Communication.objects.get(message_id="<grace-reply@babbage.example>")
    assert received.reference_name == opportunity.name
    opportunity.refresh_from_db()
    assert opportunity.status == "Open"
    assert opportunity.last_received_on == received.communication_date
