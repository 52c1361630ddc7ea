"""The webhooks API: managers only, the secret answered once, the URL checked (no private
address without the setting), bad input refused naming the field and changing nothing; what a
write costs when no webhook listens; the payloads of each event."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportune.automation import services as automation
from opportune.crm import services as crm
from opportune.selling import services as selling
from opportune.testing import make_item, make_opportunity
from opportune.webhooks import guard, services
from opportune.webhooks.models import Webhook, WebhookDelivery

URL = "https://hooks.example.com/opportune"
BODY = {"name": "CRM sync", "url": URL, "events": ["opportunity.created"]}


@pytest.fixture
def public_dns(monkeypatch):
    """hooks.example.com resolves to a public address (no DNS in the tests)."""
    real = guard.socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(2, 1, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(guard.socket, "getaddrinfo", fake)


def state() -> list:
    return [
        list(Webhook.objects.values_list("name", "url", "events", "enabled", "version")),
        WebhookDelivery.objects.count(),
    ]


@pytest.mark.django_db
def test_a_manager_makes_a_webhook_and_sees_its_secret_once(api_as, manager, public_dns):
    api = api_as(manager)
    r = api.post("webhooks", BODY)
    assert r.status_code == 201, r.content
    made = r.json()
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert {k: made[k] for k in ("name", "url", "events", "enabled", "owner", "version")} == {
        "name": "CRM sync",
        "url": URL,
        "events": ["opportunity.created"],
        "enabled": True,
        "owner": "manager",
        "version": 1,
    }
    assert Webhook.objects.get().secret == made["secret"]
    assert made["secret"] not in Webhook.objects.get().secret_encrypted  # encrypted at rest
    shown = api.get("webhooks/CRM sync").json()
    assert "secret" not in shown
    assert [w["name"] for w in api.get("webhooks").json()["results"]] == ["CRM sync"]
    r = api.patch("webhooks/CRM sync", {"version": 1, "events": ["opportunity.lost"]})
    assert r.status_code == 200, r.content
    assert (r.json()["events"], r.json()["version"]) == (["opportunity.lost"], 2)
    assert api.patch("webhooks/CRM sync", {"version": 1, "enabled": False}).status_code == 409
    r = api.post("webhooks/CRM sync/test")
    assert r.status_code == 201, r.content
    ping = r.json()
    assert (ping["event"], ping["status"], ping["webhook"]) == ("ping", "Queued", "CRM sync")
    assert ping["payload"]["data"] == {"webhook": "CRM sync", "sent_by": "manager"}
    listed = api.get("webhooks/CRM sync/deliveries").json()["results"]
    assert [d["id"] for d in listed] == [ping["id"]]
    assert api.post(f"webhook-deliveries/{ping['id']}/retry").status_code == 200
    assert api.delete("webhooks/CRM sync").status_code == 204
    assert state() == [[], 0]


@pytest.mark.django_db
def test_others_are_refused_and_nothing_changes(api_as, manager, sales, public_dns):
    services.create_webhook(data=BODY, by=manager)
    before = state()
    api = api_as(sales)
    assert api.get("webhooks").status_code == 403
    assert api.post("webhooks", {**BODY, "name": "Mine"}).status_code == 403
    assert api.get("webhooks/CRM sync").status_code == 403
    assert api.patch("webhooks/CRM sync", {"enabled": False}).status_code == 403
    assert api.delete("webhooks/CRM sync").status_code == 403
    assert api.post("webhooks/CRM sync/test").status_code == 403
    assert api_as(None).get("webhooks").status_code == 401
    assert api_as(manager).get("webhooks/Nope").status_code == 404
    assert api_as(manager).post("webhook-deliveries/999999/retry").status_code == 404
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",  # the cloud metadata service
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "hooks.example.com/no-scheme",
        "https://user:pw@hooks.example.com/x",
        "https://hooks.example.com:99999/x",
        "http://exa mple.com/x",
        "http://no-such-host.invalid/x",
    ],
)
def test_private_and_bad_urls_are_refused_naming_url(api_as, manager, url, public_dns):
    r = api_as(manager).post("webhooks", {**BODY, "url": url})
    assert r.status_code == 422, (url, r.content)
    assert list(r.json()["error"]["fields"]) == ["url"]
    assert state() == [[], 0]


@pytest.mark.django_db
def test_a_private_url_is_taken_when_the_setting_allows_it(api_as, manager, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    r = api_as(manager).post("webhooks", {**BODY, "url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 201, r.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "events": []}, "events"),
        ({**BODY, "events": ["opportunity.eaten"]}, "events"),
        ({**BODY, "events": "opportunity.created"}, "events"),
        ({**BODY, "name": ""}, "name"),
        ({**BODY, "name": "x" * 141}, "name"),
        ({**BODY, "secret": "short"}, "secret"),
        ({**BODY, "url": "https://hooks.example.com/" + "a" * 2000}, "url"),
        ({**BODY, "owner": "sales"}, "owner"),
        ({**BODY, "name": "nul\x00"}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api_as, manager, body, field, public_dns):
    r = api_as(manager).post("webhooks", body)
    assert r.status_code in (400, 422), r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert state() == [[], 0]


@pytest.mark.django_db
def test_names_are_unique(api_as, manager, public_dns):
    services.create_webhook(data=BODY, by=manager)
    r = api_as(manager).post("webhooks", BODY)
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["name"]


@pytest.mark.django_db
def test_a_write_costs_no_query_for_webhooks_when_none_listens(sales, manager, public_dns):
    opportunity = make_opportunity(sales)
    with CaptureQueriesContext(connection) as none_listens:
        assert services.emit("opportunity.updated", opportunity) == 0
    assert len(none_listens) == 0
    services.create_webhook(data=BODY, by=manager)  # created, not updated: still none
    with CaptureQueriesContext(connection) as reread:
        assert services.emit("opportunity.updated", opportunity) == 0
    assert len(reread) == 1  # the list of webhooks, read again once after the change
    with CaptureQueriesContext(connection) as cached:
        assert services.emit("opportunity.updated", opportunity) == 0
    assert len(cached) == 0


@pytest.mark.django_db
def test_the_payload_of_each_event(sales, manager, public_dns):
    services.create_webhook(
        data={
            **BODY,
            "events": [
                "opportunity.created",
                "opportunity.updated",
                "opportunity.status_changed",
                "quotation.submitted",
                "assignment.created",
            ],
        },
        by=manager,
    )
    make_item("WIDGET")
    opportunity = make_opportunity(
        sales, with_items=True, items=[{"item_code": "WIDGET", "qty": "2", "rate": "100"}]
    )
    opportunity = crm.update_opportunity(
        opportunity, data={"to_discuss": "Price"}, version=opportunity.version, by=sales
    )
    quotation = selling.make_quotation_from_opportunity(opportunity, by=sales)
    selling.submit_quotation(quotation, by=sales)
    automation.assign_by_hand(
        reference_type="Opportunity",
        reference_name=opportunity.name,
        allocated_to="sales",
        by=manager,
    )
    rows = list(WebhookDelivery.objects.order_by("pk").values_list("event", "payload"))
    assert [event for event, _ in rows] == [
        "opportunity.created",
        "opportunity.updated",
        "opportunity.status_changed",  # the quotation's submission moves the opportunity
        "quotation.submitted",
        "assignment.created",
    ]
    created, updated, changed, submitted, assigned = (payload for _, payload in rows)
    assert created["data"]["items"][0]["item_code"] == "WIDGET"
    assert created["data"]["total"] == "200.00"
    assert updated["data"]["to_discuss"] == "Price"
    assert submitted["data"]["name"] == quotation.name
    assert submitted["data"]["docstatus"] == 1
    assert changed["change"] == {"from": "Open", "to": "Quotation"}
    assert changed["data"]["status"] == "Quotation"
    assert assigned["data"]["reference_name"] == opportunity.name
    assert assigned["data"]["allocated_to"] == "sales"
    json.dumps(rows)  # plain JSON


@pytest.mark.django_db
def test_a_delivery_being_sent_is_not_retried(api_as, manager, public_dns):
    webhook, _ = services.create_webhook(data=BODY, by=manager)
    sending = WebhookDelivery.objects.create(
        webhook=webhook, event="ping", payload={}, status=WebhookDelivery.Status.SENDING
    )
    r = api_as(manager).post(f"webhook-deliveries/{sending.pk}/retry")
    assert r.status_code == 409
    assert r.json()["error"]["fields"] == {"status": ["is Sending"]}
    sending.refresh_from_db()
    assert sending.status == WebhookDelivery.Status.SENDING
