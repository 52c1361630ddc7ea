"""The webhooks pages: managers register a webhook (its secret shown once), look at its
deliveries, send a test, turn it off and on, delete it; nobody else gets in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opportune.testing import client_for
from opportune.webhooks.models import Webhook, WebhookDelivery

LIST = reverse("webhooks:webhook_list")
URL = "http://127.0.0.1:9/opportune-hook"  # nothing listens: deliveries stay queued


@pytest.fixture(autouse=True)
def _private_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True


def register(user, **data):
    body = {"name": "Sync", "url": URL, "events": ["opportunity.created"], **data}
    return client_for(user).post(LIST, body)


def test_a_manager_registers_a_webhook_and_sees_its_secret_once(manager):
    answer = register(manager)
    assert answer.status_code == 200
    page = answer.content.decode()
    webhook = Webhook.objects.get(name="Sync")
    assert webhook.events == ["opportunity.created"] and webhook.owner == manager
    assert webhook.secret in page and "only this once" in page
    listing = client_for(manager).get(LIST).content.decode()
    assert "Sync" in listing and webhook.secret not in listing
    detail = client_for(manager).get(reverse("webhooks:webhook_detail", args=["Sync"]))
    assert detail.status_code == 200 and webhook.secret not in detail.content.decode()


def test_a_bad_url_is_named_and_nothing_is_registered(manager, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    answer = register(manager, url="http://127.0.0.1/hook")
    assert answer.status_code == 400
    assert "url:" in answer.content.decode()
    assert not Webhook.objects.exists()


def test_test_disable_enable_and_delete(manager):
    register(manager)
    action = lambda verb: client_for(manager).post(  # noqa: E731
        reverse("webhooks:webhook_action", args=["Sync", verb])
    )
    assert action("test").status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "ping"
    detail = client_for(manager).get(reverse("webhooks:webhook_detail", args=["Sync"]))
    assert "ping" in detail.content.decode()
    action("disable")
    assert not Webhook.objects.get().enabled
    action("enable")
    assert Webhook.objects.get().enabled
    retry = client_for(manager).post(reverse("webhooks:retry", args=[delivery.pk]))
    assert retry.status_code == 302
    action("delete")
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()


def test_only_managers_get_in(sales, manager):
    register(manager)
    for url in (LIST, reverse("webhooks:webhook_detail", args=["Sync"])):
        assert client_for(sales).get(url).status_code == 403
    assert register(sales, name="Mine").status_code == 403
    assert not Webhook.objects.filter(name="Mine").exists()
    nav = client_for(manager).get(LIST).content.decode()
    assert 'href="/webhooks/"' in nav
    assert 'href="/webhooks/"' not in client_for(sales).get("/").content.decode()
