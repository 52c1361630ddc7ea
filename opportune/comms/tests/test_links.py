"""Emails shown on a document other than their own (CommunicationLink): ``link_thread`` links
one document's emails to another in one read and one INSERT, idempotent; ``thread_of`` and the
timeline source (``comms.timeline.email_entries``) read a document's own and linked emails in
one query each; threading is unchanged."""

from __future__ import annotations

import pytest
from django.test import override_settings

from opportune.comms.models import Communication, CommunicationLink
from opportune.comms.services import ingest_email, link_thread, queue_email, thread_of
from opportune.comms.timeline import email_entries, excerpt
from opportune.testing import make_lead, make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


def _lead_with_emails(sales):
    lead = make_lead(sales, email_id="ada@engines.example")
    sent = queue_email(
        reference_doctype="Lead",
        reference_name=lead.name,
        recipients="ada@engines.example",
        subject="Hello",
        content="Shall we talk?",
        by=sales,
    )
    for n in range(3):
        ingest_email(
            f"From: Ada <ada@engines.example>\r\nMessage-ID: <ada-{n}@e>\r\n"
            f"Subject: Re: Hello\r\n\r\nAnswer {n}\r\n\r\nOn Monday, Sales wrote:\r\n> old\r\n".encode()
        )
    return lead, sent


def test_link_thread_links_once_in_two_queries(sales, django_assert_num_queries):
    lead, sent = _lead_with_emails(sales)
    opp = make_opportunity(sales, lead)
    args = {"from_doctype": "Lead", "from_name": lead.name}
    with django_assert_num_queries(2):
        assert link_thread(**args, to_doctype="Opportunity", to_name=opp.name) == 4
    assert link_thread(**args, to_doctype="Opportunity", to_name=opp.name) == 4  # again
    assert CommunicationLink.objects.count() == 4
    assert Communication.objects.filter(reference_doctype="Opportunity").count() == 0
    # nothing to link: one read, no INSERT
    other = make_lead(sales, email_id="nobody@example.com")
    with django_assert_num_queries(1):
        assert (
            link_thread(
                from_doctype="Lead",
                from_name=other.name,
                to_doctype="Opportunity",
                to_name=opp.name,
            )
            == 0
        )
    # linked emails travel on: the opportunity's emails linked to a third document
    assert (
        link_thread(
            from_doctype="Opportunity", from_name=opp.name, to_doctype="Customer", to_name="C1"
        )
        == 4
    )
    # a document's own emails are never linked to itself
    assert link_thread(**args, to_doctype="Lead", to_name=lead.name) == 0


def test_thread_and_timeline_read_own_and_linked_in_one_query(sales, django_assert_num_queries):
    lead, sent = _lead_with_emails(sales)
    opp = make_opportunity(sales, lead)
    own = queue_email(
        reference_doctype="Opportunity",
        reference_name=opp.name,
        recipients="ada@engines.example",
        subject="Our offer",
        content="Here it is.",
        by=sales,
    )
    link_thread(
        from_doctype="Lead", from_name=lead.name, to_doctype="Opportunity", to_name=opp.name
    )
    with django_assert_num_queries(2):  # the emails, their attachments (prefetched)
        thread = thread_of("Opportunity", opp.name)
    assert [c.pk for c in thread][0] == sent.pk and thread[-1].pk == own.pk
    assert len(thread) == 5
    with django_assert_num_queries(1):
        entries = list(email_entries("Opportunity", opp.name))
    assert len(entries) == 5
    first = entries[0]
    assert first.kind == "email" and first.user == "sales"
    assert first.data["direction"] == "Sent" and first.data["recipients"] == ["ada@engines.example"]
    assert first.data["reference_doctype"] == "Lead"
    answers = [e for e in entries if e.data["direction"] == "Received"]
    assert [e.data["excerpt"] for e in answers] == ["Answer 0", "Answer 1", "Answer 2"]
    assert answers[0].data["sender_full_name"] == "Ada" and answers[0].user is None
    # the lead keeps only its own
    assert len(list(email_entries("Lead", lead.name))) == 4


def test_excerpt_is_short_and_flat():
    assert excerpt("a\n\n  b") == "a b"
    long = excerpt("word " * 200)
    assert len(long) == 200 and long.endswith("…")
