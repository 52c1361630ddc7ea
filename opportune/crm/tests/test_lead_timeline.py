"""A lead talks like an opportunity: comments (API and page) and emails on the same timeline
machinery, and carried forward to the opportunity made from it when CRM Settings say so
(ERPNext's test: two comments and two emails on the lead, then both on the opportunity)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from opportune.comms.models import Communication, CommunicationLink
from opportune.comms.services import ingest_email, queue_email
from opportune.comms.tests.helpers import raw
from opportune.core.models import Comment
from opportune.core.timeline import timeline_for
from opportune.crm import services as crm
from opportune.crm.models import CRMSettings, Lead, Opportunity
from opportune.crm.services import carry_forward
from opportune.crm.tests.helpers import row_counts
from opportune.notifications.models import Notification
from opportune.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(sales) -> Lead:
    return crm.create_lead(
        data={"lead_name": "Grace Hopper", "email_id": "grace@navy.example"}, by=sales
    )


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- the lead's comments and timeline -----------------------------------------------------------
def test_api_comments_and_timeline(lead, sales, api_as):
    api = api_as(sales)
    r = api.post(f"leads/{lead.name}/comments", {"content": "  Met at the fair  "})
    assert r.status_code == 201, r.content
    assert r.json()["content"] == "Met at the fair"
    assert r.json()["owner"] == "sales"
    listed = api.get(f"leads/{lead.name}/comments")
    assert [c["content"] for c in listed.json()] == ["Met at the fair"]
    timeline = api.get(f"leads/{lead.name}/timeline").json()
    kinds = [e["kind"] for e in timeline]
    assert "comment" in kinds and "created" in kinds
    assert timeline[0]["summary"] == "Met at the fair"


@pytest.mark.parametrize("body", [{"content": ""}, {"content": "   "}, {}, {"content": 5}])
def test_bad_comment_names_content_and_changes_nothing(lead, sales, api_as, body):
    before = row_counts()
    r = api_as(sales).post(f"leads/{lead.name}/comments", body)
    assert r.status_code == 422
    assert "content" in r.json()["error"]["fields"]
    assert row_counts() == before


def test_others_cannot_see_or_comment(lead, sales2, purchaser, outsider, api_as):
    before = row_counts()
    for user in (sales2, purchaser, outsider):
        api = api_as(user)
        assert api.get(f"leads/{lead.name}/comments").status_code == 404
        assert api.get(f"leads/{lead.name}/timeline").status_code == 404
        assert api.post(f"leads/{lead.name}/comments", {"content": "x"}).status_code in (403, 404)
    assert api_as(None).get(f"leads/{lead.name}/timeline").status_code == 401
    assert row_counts() == before


def test_page_comment_and_timeline(lead, sales):
    client = _client(sales)
    page = client.get(f"/crm/leads/{lead.name}/").content.decode()
    assert f'action="/crm/leads/{lead.name}/comment/"' in page
    r = client.post(f"/crm/leads/{lead.name}/comment/", {"content": "Called, call back Monday"})
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert "Comment added." in page
    assert "Called, call back Monday" in page
    # an empty one is refused with a message, nothing written
    before = Comment.objects.count()
    r = client.post(f"/crm/leads/{lead.name}/comment/", {"content": " "}, follow=True)
    assert "A comment cannot be empty." in r.content.decode()
    assert Comment.objects.count() == before
    assert client.get(f"/crm/leads/{lead.name}/comment/").status_code == 405


def test_mentions_on_a_lead_tell_those_who_may_see_it(lead, sales, manager, sales2):
    crm.add_lead_comment(lead, content="@manager @sales2 have a look", by=sales)
    told = Notification.objects.filter(kind=Notification.Kind.MENTION)
    assert [n.user.username for n in told] == ["manager"]  # sales2 may not see the lead
    assert told.get().link == f"/crm/leads/{lead.name}/"


# --- carry forward -------------------------------------------------------------------------------
def _two_comments(lead, sales, manager):
    first = crm.add_lead_comment(lead, content="First call: wants ten engines", by=sales)
    Comment.objects.filter(pk=first.pk).update(creation=timezone.now() - timedelta(days=2))
    crm.add_lead_comment(lead, content="Sent the brochure", by=manager)


def test_carry_forward_copies_the_lead_comments(lead, sales, manager, api_as):
    CRMSettings.objects.filter(pk=1).update(carry_forward_communication_and_comments=True)
    _two_comments(lead, sales, manager)
    r = api_as(sales).post(f"leads/{lead.name}/make-opportunity")
    assert r.status_code == 201, r.content
    name = r.json()["name"]

    copied = Comment.objects.filter(reference_doctype="Opportunity", reference_name=name)
    rows = sorted(copied.values_list("content", "owner__username", "comment_type"))
    assert rows == [
        ("First call: wants ten engines", "sales", "Comment"),
        ("Sent the brochure", "manager", "Comment"),
    ]
    # copies keep their time; the lead keeps its own
    originals = Comment.objects.filter(reference_doctype="Lead", reference_name=lead.name)
    assert sorted(copied.values_list("creation", flat=True)) == sorted(
        originals.filter(comment_type="Comment").values_list("creation", flat=True)
    )
    timeline = api_as(sales).get(f"opportunities/{name}/timeline").json()
    said = [e["summary"] for e in timeline if e["kind"] == "comment"]
    assert said == ["Sent the brochure", "First call: wants ten engines"]
    # the lead's status labels are not carried (ERPNext copies comments only)
    assert not copied.exclude(comment_type="Comment").exists()


def test_carry_forward_from_the_opportunity_form_too(lead, sales, manager):
    CRMSettings.objects.filter(pk=1).update(carry_forward_communication_and_comments=True)
    _two_comments(lead, sales, manager)
    opp = crm.create_opportunity(
        data={"opportunity_from": "Lead", "party_name": lead.name}, by=sales
    )
    assert len([e for e in timeline_for("Opportunity", opp.name) if e.kind == "comment"]) == 2


def test_without_the_setting_nothing_is_carried(lead, sales, manager):
    _two_comments(lead, sales, manager)
    opp = crm.make_opportunity_from_lead(lead, by=sales)
    assert not Comment.objects.filter(reference_doctype="Opportunity", reference_name=opp.name)


def test_registered_copiers_run_in_the_same_transaction(lead, sales, monkeypatch):
    CRMSettings.objects.filter(pk=1).update(carry_forward_communication_and_comments=True)
    monkeypatch.setattr(carry_forward, "_copiers", [])
    calls = []

    def copy_emails(lead, opportunity, *, by):
        calls.append((lead.name, opportunity.name, by))

    carry_forward.register_carry_forward(copy_emails)
    carry_forward.register_carry_forward(copy_emails)  # once only
    opp = crm.make_opportunity_from_lead(lead, by=sales)
    assert calls == [(lead.name, opp.name, sales)]

    def broken(lead, opportunity, *, by):
        raise RuntimeError("mail store down")

    carry_forward.register_carry_forward(broken)
    count = Opportunity.objects.count()
    with pytest.raises(RuntimeError):
        crm.make_opportunity_from_lead(lead, by=sales)
    assert Opportunity.objects.count() == count  # rolled back with the opportunity


# --- the lead's emails: on its timeline, and carried forward as links ----------------------------
@pytest.fixture
def ada(sales) -> Lead:
    return crm.create_lead(
        data={"lead_name": "Ada Lovelace", "email_id": "ada@engines.example"}, by=sales
    )


def _two_emails(lead, sales) -> tuple[Communication, Communication]:
    """One sent through the compose service, one received as raw MIME (the corpus' lead reply,
    threaded onto the lead by its sender's address)."""
    sent = queue_email(
        reference_doctype="Lead",
        reference_name=lead.name,
        recipients=["ada@engines.example"],
        subject="Introduction",
        content="Dear Ada, shall we talk about the engines?",
        by=sales,
        now=timezone.now() - timedelta(days=1),
    )
    # a day before the reply's own Date header (2026-12-05 12:00 UTC), whatever the time of day
    # the test runs: the reply is the newer of the two
    Communication.objects.filter(pk=sent.pk).update(
        communication_date=dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    )
    received, new = ingest_email(raw("16_lead_reply.eml"))
    assert new and (received.reference_doctype, received.reference_name) == ("Lead", lead.name)
    return sent, received


def _emails(timeline: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (e["data"]["direction"], e["summary"], e["data"]["excerpt"])
        for e in timeline
        if e["kind"] == "email"
    ]


def test_the_lead_timeline_shows_its_emails_and_comments(ada, sales, manager, api_as):
    _two_comments(ada, sales, manager)
    sent, received = _two_emails(ada, sales)
    timeline = api_as(sales).get(f"leads/{ada.name}/timeline").json()
    assert _emails(timeline) == [
        ("Received", "Re: Introduction", "Happy to talk next week about the notes."),
        ("Sent", "Introduction", "Dear Ada, shall we talk about the engines?"),
    ]
    back, out = [e for e in timeline if e["kind"] == "email"]
    assert out["user"] == "sales" and out["data"]["communication_id"] == sent.pk
    assert out["data"]["recipients"] == ["ada@engines.example"]
    assert out["data"]["status"] == "Queued"
    assert back["user"] is None and back["data"]["sender"] == "ada@engines.example"
    assert back["data"]["sender_full_name"] == "Ada Lovelace"
    assert back["data"]["communication_id"] == received.pk
    said = [e["summary"] for e in timeline if e["kind"] == "comment"]
    assert said == ["Sent the brochure", "First call: wants ten engines"]
    # newest first, emails and comments together
    times = [e["at"] for e in timeline]
    assert times == sorted(times, reverse=True)
    page = _client(sales).get(f"/crm/leads/{ada.name}/").content.decode()
    assert "Email received" in page and "Happy to talk next week" in page


def test_carry_forward_brings_the_lead_emails_and_comments(ada, sales, manager, api_as):
    CRMSettings.objects.filter(pk=1).update(carry_forward_communication_and_comments=True)
    _two_comments(ada, sales, manager)
    sent, received = _two_emails(ada, sales)
    api = api_as(sales)
    r = api.post(f"leads/{ada.name}/make-opportunity")
    assert r.status_code == 201, r.content
    name = r.json()["name"]

    timeline = api.get(f"opportunities/{name}/timeline").json()
    said = [e["summary"] for e in timeline if e["kind"] == "comment"]
    assert said == ["Sent the brochure", "First call: wants ten engines"]
    assert [s for _d, s, _x in _emails(timeline)] == ["Re: Introduction", "Introduction"]
    assert {e["data"]["reference_name"] for e in timeline if e["kind"] == "email"} == {ada.name}
    # linked, not copied: the emails stay the lead's (and on its timeline)
    assert Communication.objects.count() == 2
    assert set(CommunicationLink.objects.values_list("communication_id", "link_name")) == {
        (sent.pk, name),
        (received.pk, name),
    }
    assert len(_emails(api.get(f"leads/{ada.name}/timeline").json())) == 2
    # the opportunity's thread (API) and its Emails card (page) show them too
    thread = api.get(f"opportunities/{name}/communications").json()
    assert [c["subject"] for c in thread] == ["Introduction", "Re: Introduction"]
    page = _client(sales).get(f"/crm/opportunities/{name}/").content.decode()
    assert "Dear Ada, shall we talk about the engines?" in page
    assert "Happy to talk next week about the notes." in page

    # a reply to the lead's email threads where comms sends it (the lead, by In-Reply-To)
    reply = (
        f"From: ada@engines.example\r\nIn-Reply-To: {sent.message_id}\r\n"
        "Message-ID: <ada-99@engines.example>\r\nSubject: Re: Introduction\r\n\r\nYes.\r\n"
    ).encode()
    threaded, _ = ingest_email(reply)
    assert (threaded.reference_doctype, threaded.reference_name) == ("Lead", ada.name)


def test_without_the_setting_no_email_is_carried(ada, sales, manager, api_as):
    _two_comments(ada, sales, manager)
    _two_emails(ada, sales)
    opp = crm.make_opportunity_from_lead(ada, by=sales)
    api = api_as(sales)
    timeline = api.get(f"opportunities/{opp.name}/timeline").json()
    assert not [e for e in timeline if e["kind"] in ("comment", "email")]
    assert api.get(f"opportunities/{opp.name}/communications").json() == []
    assert not CommunicationLink.objects.exists()
