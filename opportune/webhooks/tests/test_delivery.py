"""Deliveries to a real local HTTP server: signed (HMAC-SHA256 with a timestamp), retried with
backoff and logged, given up after the last attempt, never sent for a rolled back change, and
never sent to a private address unless the setting allows it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.db import transaction
from django.utils import timezone

from opportune.core.models import Job
from opportune.crm import services as crm
from opportune.crm.models import Opportunity
from opportune.testing import make_opportunity
from opportune.webhooks import services
from opportune.webhooks.models import Webhook, WebhookDelivery
from opportune.webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "s3cret-of-the-receiver-0123456789"


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def local(allow_private):
    with receiver() as box:
        yield box


def hook(url: str, manager, *events: str) -> Webhook:
    webhook, _ = services.create_webhook(
        data={"name": "Receiver", "url": url, "events": list(events), "secret": SECRET},
        by=manager,
    )
    return webhook


def verify(received, secret: str = SECRET) -> int:
    """What a receiver does: the timestamp and the HMAC of "<t>." + body with the secret."""
    parts = dict(p.split("=", 1) for p in received.headers["X-Opportune-Signature"].split(","))
    signed = f"{parts['t']}.".encode() + received.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return int(parts["t"])


def test_a_created_opportunity_is_posted_signed(local, manager, sales):
    webhook = hook(local.url, manager, "opportunity.created")
    opportunity = make_opportunity(sales)
    assert len(local.received) == 1
    got = local.received[0]
    assert got.path == "/hooks/opportune?x=1"
    assert abs(verify(got) - time.time()) < 60  # a receiver may refuse an old one (replay)
    delivery = WebhookDelivery.objects.get()
    assert got.headers["X-Opportune-Event"] == "opportunity.created"
    assert got.headers["X-Opportune-Delivery"] == str(delivery.pk)
    assert got.headers["Content-Type"] == "application/json"
    body = json.loads(got.body)
    assert set(body) == {"event", "occurred_at", "data"}
    assert body["event"] == "opportunity.created"
    assert body["data"]["name"] == opportunity.name
    assert body["data"]["status"] == "Open"
    assert body["data"]["party_name"] == opportunity.party_name
    with pytest.raises(AssertionError):
        verify(got, secret="another secret of 32 characters!")
    assert delivery.webhook == webhook
    assert delivery.status == WebhookDelivery.Status.SENT
    assert (delivery.attempts, delivery.response_status) == (1, 200)
    assert delivery.response_body == '{"ok": true}'
    assert [e["response_status"] for e in delivery.log] == [200]


def test_a_500_is_retried_after_the_backoff_and_logged(local, manager, sales):
    local.answers[:] = [500]
    hook(local.url, manager, "opportunity.created")
    make_opportunity(sales)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.QUEUED
    assert (delivery.attempts, delivery.response_status) == (1, 500)
    assert delivery.response_body == "receiver says no"
    assert delivery.last_error == "The receiver answered 500."
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - dt.datetime.fromisoformat(delivery.log[0]["at"])
    assert wait == dt.timedelta(seconds=60)
    # Not due yet: the sweeper leaves it.
    assert services.send_due_deliveries(now=timezone.now()) == {"released": 0, "handed": 0}
    assert len(local.received) == 1
    later = delivery.next_attempt_at + dt.timedelta(seconds=1)
    assert services.send_due_deliveries(now=later) == {"released": 0, "handed": 1}
    assert len(local.received) == 2
    first, second = local.received
    assert first.headers["X-Opportune-Delivery"] == second.headers["X-Opportune-Delivery"]
    assert first.body == second.body  # the same event; a fresh signature
    verify(second)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT
    assert (delivery.attempts, delivery.response_status, delivery.last_error) == (2, 200, "")
    assert [(e["attempt"], e["response_status"]) for e in delivery.log] == [(1, 500), (2, 200)]
    # Sent: the sweeper never sends it again.
    assert services.send_due_deliveries(now=later + dt.timedelta(hours=2))["handed"] == 0


def test_given_up_after_the_last_attempt_then_retried_by_hand(local, manager, sales, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    local.answers[:] = [503, 502]
    hook(local.url, manager, "opportunity.created")
    make_opportunity(sales)
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at is not None
    services.send_due_deliveries(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 2
    assert delivery.next_attempt_at is None
    assert [e["response_status"] for e in delivery.log] == [503, 502]
    assert services.send_due_deliveries(now=timezone.now() + dt.timedelta(days=1))["handed"] == 0
    services.retry_delivery(delivery, by=manager)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT
    assert [e["response_status"] for e in delivery.log] == [503, 502, 200]
    assert len(local.received) == 3


def test_a_rolled_back_change_sends_nothing(local, manager, sales):
    hook(local.url, manager, "opportunity.created", "opportunity.updated")
    before = Opportunity.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_opportunity(sales)
        assert WebhookDelivery.objects.count() == 1  # in the outbox, with the change
        raise RuntimeError("the change fails after the event")
    assert Opportunity.objects.count() == before
    assert WebhookDelivery.objects.count() == 0
    assert not Job.objects.filter(name=services.SEND_JOB).exists()
    services.send_due_deliveries(now=timezone.now() + dt.timedelta(hours=1))
    assert local.received == []


def test_nothing_is_sent_to_a_private_address_without_the_setting(local, manager, sales, settings):
    hook(local.url, manager, "opportunity.created")
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # the DNS (or the setting) changed since
    make_opportunity(sales)
    assert local.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.QUEUED
    assert "private, loopback or reserved address (127.0.0.1)" in delivery.last_error
    assert delivery.response_status is None


def test_a_receiver_that_is_down_is_an_error_to_retry(allow_private, manager, sales):
    with receiver() as box:
        url = box.url
    hook(url, manager, "opportunity.created")  # nothing listens there any more
    make_opportunity(sales)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.QUEUED
    assert delivery.last_error.startswith("ConnectionRefusedError")


def test_a_disabled_webhook_gets_nothing_and_a_stopped_attempt_is_counted(local, manager, sales):
    webhook = hook(local.url, manager, "opportunity.created")
    services.update_webhook(webhook, data={"enabled": False}, version=None, by=manager)
    make_opportunity(sales)
    assert WebhookDelivery.objects.count() == 0
    # A worker that stopped after its claim: the sweeper counts the attempt and queues it again.
    services.update_webhook(webhook, data={"enabled": True}, version=None, by=manager)
    now = timezone.now()
    stuck = WebhookDelivery.objects.create(
        webhook=webhook,
        event="ping",
        payload={"event": "ping"},
        status=WebhookDelivery.Status.SENDING,
        attempts=1,
        claimed_at=now - dt.timedelta(minutes=6),
    )
    assert services.send_due_deliveries(now=now)["released"] == 1
    stuck.refresh_from_db()
    assert stuck.status == WebhookDelivery.Status.QUEUED
    assert stuck.log[0]["error"].startswith("The attempt stopped half-way")
    services.send_due_deliveries(now=stuck.next_attempt_at)
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (WebhookDelivery.Status.SENT, 2)
    assert len(local.received) == 1


def test_status_changes_and_loss_are_posted(local, manager, sales):
    hook(local.url, manager, "opportunity.status_changed", "opportunity.lost")
    opportunity = make_opportunity(sales)
    assert local.received == []  # created is not subscribed
    crm.declare_opportunity_lost(
        opportunity, lost_reasons=["Too expensive"], competitors=[], detail="Budget", by=sales
    )
    events = [json.loads(r.body) for r in local.received]
    assert [e["event"] for e in events] == ["opportunity.lost", "opportunity.status_changed"]
    assert events[0]["data"]["lost_reasons"] == ["Too expensive"]
    assert events[0]["data"]["order_lost_reason"] == "Budget"
    assert events[1]["change"] == {"from": "Open", "to": "Lost"}
    crm.reopen_opportunity(Opportunity.objects.get(pk=opportunity.pk), by=sales)
    last = json.loads(local.received[-1].body)
    assert (last["event"], last["change"]) == (
        "opportunity.status_changed",
        {"from": "Lost", "to": "Open"},
    )
