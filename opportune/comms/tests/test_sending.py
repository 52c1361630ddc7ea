"""Sending through a real SMTP server (aiosmtpd): the outbox, at most once, SMTP down then up,
a worker stopped mid-send, and the effects on the opportunity (decision 4, first response)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from opportune.comms.models import Communication, EmailAccount
from opportune.comms.services import (
    CLAIM_JOB,
    SMTP_JOB,
    STALE_SENDING,
    OutgoingAttachment,
    enqueue_due_sends,
    ingest_email,
    mark_stale_sends,
    queue_email,
)
from opportune.core.jobs import run_job
from opportune.core.models import Job
from opportune.crm.models import Opportunity
from opportune.testing import (
    at,
    free_port,
    make_customer,
    make_opportunity,
    smtp_inbox,
    smtp_server,
)

pytestmark = pytest.mark.django_db


def run_pending(name: str) -> list[str]:
    return [
        run_job(pk)
        for pk in Job.objects.filter(name=name, status=Job.Status.PENDING).values_list(
            "pk", flat=True
        )
    ]


def send_all() -> None:
    run_pending(CLAIM_JOB)
    run_pending(SMTP_JOB)


@pytest.fixture
def opportunity(sales):
    customer = make_customer(sales)
    return make_opportunity(sales, customer, now=timezone.now() - timedelta(minutes=90))


def compose(opportunity, user, **extra):
    values: dict[str, Any] = {
        "recipients": ["grace@babbage.example"],
        "subject": "Your quotation",
        "content": "Dear Grace,\nplease find our offer.",
    }
    values.update(extra)
    return queue_email(
        reference_doctype="Opportunity", reference_name=opportunity.name, by=user, **values
    )


def test_sent_once_with_its_message_id_reply_to_and_tag(sales, opportunity, tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path), smtp_server() as inbox:
        email = compose(
            opportunity,
            sales,
            cc=["boss@babbage.example"],
            attachments=[OutgoingAttachment("offer.txt", "text/plain", b"42 engines")],
        )
        assert email.status == "Queued"
        send_all()
        send_all()  # nothing left to send: still one message
    (message,) = inbox.messages
    email.refresh_from_db()
    assert (email.status, email.send_attempts) == ("Sent", 1)
    assert message["Message-ID"] == email.message_id
    assert message["Subject"] == f"Your quotation [{opportunity.name}]"
    assert message["Reply-To"] == f"opportune+{email.routing_token}@localhost"
    assert inbox.recipients[0] == ["grace@babbage.example", "boss@babbage.example"]
    plain = message.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "please find our offer" in body
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "offer.txt"


def test_an_account_sends_from_its_own_server(sales, opportunity):
    with smtp_inbox() as inbox:
        account = EmailAccount(
            name="Sales",
            email_id="sales@sales.example",
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
            smtp_use_starttls=False,
            default_outgoing=True,
        )
        account.save()
        email = compose(opportunity, sales)
        send_all()
    (message,) = inbox.messages
    assert message["From"].addresses[0].addr_spec == "sales@sales.example"
    assert message["Reply-To"] == f"sales+{email.routing_token}@sales.example"


def test_smtp_down_waits_then_is_sent_once(sales, opportunity):
    port = free_port()  # nobody listens yet
    EmailAccount.objects.create(
        name="Sales",
        email_id="sales@sales.example",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_use_starttls=False,
        default_outgoing=True,
    )
    email = compose(opportunity, sales)
    send_all()
    email.refresh_from_db()
    assert email.status == "Queued"  # shown queued on the page
    assert "Connection refused" in email.last_error or "Errno" in email.last_error
    assert email.next_attempt_at > timezone.now()
    assert enqueue_due_sends() == 0  # its backoff is not over
    later = timezone.now() + timedelta(hours=2)
    assert enqueue_due_sends(now=later) == 1
    assert enqueue_due_sends(now=later) == 1  # the same attempt's job, not a second one
    assert Job.objects.filter(name=CLAIM_JOB).count() == 2
    from opportune.testing import Inbox

    inbox = Inbox(port)
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        send_all()
        send_all()
    finally:
        controller.stop()
    email.refresh_from_db()
    assert (email.status, email.send_attempts, email.last_error) == ("Sent", 2, "")
    assert len(inbox.messages) == 1


def test_a_worker_stopped_mid_send_never_sends_again(sales, opportunity):
    with smtp_server() as inbox:
        email = compose(opportunity, sales)
        run_pending(CLAIM_JOB)
        smtp = Job.objects.get(name=SMTP_JOB)
        # The worker took the SMTP job and died: its lease ran out, one attempt only -> failed.
        Job.objects.filter(pk=smtp.pk).update(status=Job.Status.FAILED, attempts=1)
        assert mark_stale_sends() == 0  # not stale yet
        assert mark_stale_sends(now=timezone.now() + STALE_SENDING + timedelta(seconds=1)) == 1
        email.refresh_from_db()
        assert email.status == "Unknown"
        assert "not sent again by itself" in email.last_error
        assert enqueue_due_sends(now=timezone.now() + timedelta(days=1)) == 0
        Job.objects.filter(pk=smtp.pk).update(status=Job.Status.PENDING, attempts=0)
        assert run_job(smtp.pk) == "done"  # a retry from the admin: skipped, not sent
    assert inbox.messages == []


def test_a_send_whose_smtp_job_never_started_is_not_called_unknown(sales, opportunity):
    email = compose(opportunity, sales)
    run_pending(CLAIM_JOB)  # the SMTP job waits (the queue is down)
    assert mark_stale_sends(now=timezone.now() + timedelta(days=1)) == 0
    email.refresh_from_db()
    assert email.status == "Sending"


def test_refused_input_changes_nothing(sales, opportunity):
    from opportune.core.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        compose(opportunity, sales, recipients=["not an address"], subject=" ", content="")
    assert set(refused.value.fields) == {"recipients", "subject", "content"}
    assert not Communication.objects.exists()
    assert not Job.objects.exists()


# --- the effects on the opportunity ---------------------------------------------------------------
def test_sent_moves_open_to_replied_and_records_the_first_response(sales):
    created = at(2026, 12, 1, 9)
    opportunity = make_opportunity(sales, now=created)
    queue_email(
        reference_doctype="Opportunity",
        reference_name=opportunity.name,
        recipients=["grace@babbage.example"],
        subject="Offer",
        content="Hello",
        by=sales,
        now=created + timedelta(minutes=95, seconds=30),
    )
    opportunity.refresh_from_db()
    assert opportunity.status == "Replied"
    assert opportunity.replied_on is not None
    assert opportunity.first_responded_on == created + timedelta(minutes=95, seconds=30)
    assert opportunity.mins_to_first_response == Decimal("95.50")
    history = list(opportunity.history.order_by("history_date").values_list("status", flat=True))
    assert history[-1] == "Replied"
    # A later email never changes the first response.
    queue_email(
        reference_doctype="Opportunity",
        reference_name=opportunity.name,
        recipients=["grace@babbage.example"],
        subject="Again",
        content="Hello again",
        by=sales,
        now=created + timedelta(days=2),
    )
    opportunity.refresh_from_db()
    assert opportunity.mins_to_first_response == Decimal("95.50")


def test_a_reply_threads_back_and_reopens(sales, opportunity):
    with smtp_server() as inbox:
        compose(opportunity, sales)
        send_all()
    (sent,) = inbox.messages
    opportunity.refresh_from_db()
    assert opportunity.status == "Replied"
    reply = (
        "From: Somebody New <new.person@elsewhere.example>\r\n"
        "To: opportune@localhost\r\n"
        "Subject: Re: Your quotation\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\n"
        "Message-ID: <reply-1@elsewhere.example>\r\n"
        "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
        "\r\nYes please.\r\n"
    ).encode()
    received, _ = ingest_email(reply)
    assert (received.reference_doctype, received.reference_name) == (
        "Opportunity",
        opportunity.name,
    )
    opportunity.refresh_from_db()
    assert opportunity.status == "Open"
    assert opportunity.last_received_on == received.communication_date
    # The routing address alone threads too.
    routed = (
        "From: x@elsewhere.example\r\n"
        f"To: {sent['Reply-To']}\r\n"
        "Subject: hi\r\nMessage-ID: <reply-2@elsewhere.example>\r\n\r\nRouted.\r\n"
    ).encode()
    assert ingest_email(routed)[0].reference_name == opportunity.name


def test_an_auto_reply_does_not_reopen(sales, opportunity):
    compose(opportunity, sales)
    sent = Communication.objects.get()
    auto = (
        "From: grace@babbage.example\r\nSubject: Out of office\r\n"
        f"In-Reply-To: {sent.message_id}\r\nAuto-Submitted: auto-replied\r\n"
        "Message-ID: <ooo@babbage.example>\r\n\r\nAway.\r\n"
    ).encode()
    received, _ = ingest_email(auto)
    assert received.is_automatic and received.reference_name == opportunity.name
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.last_received_on) == ("Replied", None)


def test_a_closed_opportunity_stays_closed(sales, opportunity):
    from opportune.crm import services as crm

    crm.set_opportunity_status(opportunity, status="Closed", version=opportunity.version, by=sales)
    compose(opportunity, sales)
    assert Opportunity.objects.get(pk=opportunity.pk).status == "Closed"
