"""Merging two leads, customers or contacts (decision 0025): managers only, field by field,
every link moved to the survivor, both timelines told, one transaction."""

from __future__ import annotations

from unittest import mock
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opportune.activities.models import Activity, Event
from opportune.activities.todos import create_activity
from opportune.automation.models import Assignment
from opportune.comms.models import Communication, CommunicationLink
from opportune.core.models import Comment, DeletedDocument, SearchEntry
from opportune.core.timeline import add_comment, timeline_for
from opportune.crm import services
from opportune.crm.models import Contact, Customer, Lead, Opportunity
from opportune.crm.tests.helpers import row_counts
from opportune.notifications.models import Notification
from opportune.selling import services as selling
from opportune.selling.models import Quotation
from opportune.testing import client_for, make_customer, make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def email_on(doctype: str, name: str, n: int) -> Communication:
    return Communication.objects.create(
        reference_doctype=doctype,
        reference_name=name,
        sent_or_received="Received",
        status="Received",
        subject=f"Mail {n}",
        message_id=f"<m{n}@example>",
    )


def two_customers(sales):
    survivor = make_customer(
        sales, customer_name="Acme Ltd", email_id="info@acme.example", phone=""
    )
    loser = make_customer(sales, customer_name="ACME Limited", email_id="", phone="+1 555 010 2030")
    return loser, survivor


def test_merging_customers_moves_every_link_and_tells_both_timelines(manager, sales, api_as):
    loser, survivor = two_customers(sales)
    opp = make_opportunity(sales, loser, title="Big deal")
    kept_opp = make_opportunity(sales, survivor, title="Old deal")
    quotation = selling.create_quotation(
        data={"quotation_to": "Customer", "party_name": loser.name, "contact_person": None},
        by=sales,
    )
    contact = services.create_contact(
        data={
            "first_name": "Wile",
            "link_doctype": "Customer",
            "link_name": loser.name,
            "is_primary_contact": True,
        },
        by=sales,
    )
    own_contact = services.create_contact(
        data={
            "first_name": "Road",
            "link_doctype": "Customer",
            "link_name": survivor.name,
            "is_primary_contact": True,
        },
        by=sales,
    )
    add_comment("Customer", loser.name, content="Called them", by=sales)
    mail = email_on("Customer", loser.name, 1)
    shared = email_on("Opportunity", opp.name, 2)
    CommunicationLink.objects.create(
        communication=shared, link_doctype="Customer", link_name=loser.name
    )
    CommunicationLink.objects.create(
        communication=shared, link_doctype="Customer", link_name=survivor.name
    )
    event = Event.objects.create(
        subject="Visit",
        starts_on=timezone.now(),
        owner=sales,
        reference_doctype="Customer",
        reference_name=loser.name,
    )
    todo = create_activity(
        data={
            "activity_type": "Call",
            "summary": "Call about the renewal",
            "due_date": "2099-01-05",
            "allocated_to": "sales",
            "reference_type": "Customer",
            "reference_name": loser.name,
        },
        by=sales,
    )
    # both assigned to sales: the merged one's is cancelled, not duplicated
    Assignment.objects.create(
        reference_type="Customer", reference_name=loser.name, allocated_to=sales
    )
    Assignment.objects.create(
        reference_type="Customer", reference_name=survivor.name, allocated_to=sales
    )
    Assignment.objects.create(
        reference_type="Customer", reference_name=loser.name, allocated_to=manager
    )
    Notification.objects.create(
        user=sales,
        kind="assignment",
        subject="x",
        reference_type="Customer",
        reference_name=loser.name,
    )

    r = api_as(manager).post(
        f"customers/{loser.name}/merge",
        {
            "into": survivor.name,
            "keep": {"phone": "this", "customer_name": "into"},
            "version": survivor.version,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["name"] == survivor.name
    assert body["phone"] == "+1 555 010 2030"  # kept from the one that went
    assert body["customer_name"] == "Acme Ltd"
    assert body["email_id"] == "info@acme.example"
    assert body["version"] > survivor.version

    assert not Customer.objects.filter(pk=loser.pk).exists()
    assert DeletedDocument.objects.filter(doctype="Customer", name=loser.name).exists()
    assert not SearchEntry.objects.filter(doctype="Customer", name=loser.name).exists()
    moved = Opportunity.objects.get(pk=opp.pk)
    assert (moved.customer_id, moved.party_name) == (survivor.name, survivor.name)
    assert moved.version == opp.version + 1
    assert Opportunity.objects.get(pk=kept_opp.pk).customer_id == survivor.name
    q = Quotation.objects.get(pk=quotation.pk)
    assert (q.customer_id, q.party_name) == (survivor.name, survivor.name)
    assert Contact.objects.get(pk=contact.pk).link_name == survivor.name
    # the survivor's primary contact stays the only primary one
    assert Contact.objects.get(pk=contact.pk).is_primary_contact is False
    assert Contact.objects.get(pk=own_contact.pk).is_primary_contact is True
    assert Comment.objects.filter(
        reference_doctype="Customer", reference_name=survivor.name, content="Called them"
    ).exists()
    assert Communication.objects.get(pk=mail.pk).reference_name == survivor.name
    assert list(
        CommunicationLink.objects.filter(communication=shared).values_list("link_name", flat=True)
    ) == [survivor.name]
    assert Event.objects.get(pk=event.pk).reference_name == survivor.name
    assert Activity.objects.get(pk=todo.pk).reference_name == survivor.name
    assert Notification.objects.get().reference_name == survivor.name
    open_ones = Assignment.objects.filter(
        reference_type="Customer", reference_name=survivor.name, status="Open"
    )
    assert sorted(open_ones.values_list("allocated_to__username", flat=True)) == [
        "manager",
        "sales",
    ]
    assert Assignment.objects.filter(status="Cancelled", reference_name=survivor.name).count() == 1

    # both timelines say it (the merged one's stays under its name)
    survivor_line = [e.summary for e in timeline_for("Customer", survivor.name)]
    assert any(s.startswith(f"Merged Customer {loser.name} (ACME Limited)") for s in survivor_line)
    assert any("kept its phone" in s for s in survivor_line)
    loser_line = [e.summary for e in timeline_for("Customer", loser.name)]
    assert any(s.startswith(f"Merged into Customer {survivor.name}") for s in loser_line)
    # the moved opportunity's own history records its new customer
    changes = [e for e in timeline_for("Opportunity", opp.name) if e.kind == "change"]
    assert any(c["field"] == "customer" for e in changes for c in e.data["changes"])


def test_merging_leads_moves_opportunities_customers_and_the_status(manager, sales, api_as):
    survivor = make_lead(sales, lead_name="Ada", email_id="ada@engines.example")
    loser = make_lead(sales, lead_name="Ada L", email_id="ada.l@engines.example")
    opp = make_opportunity(sales, loser)
    r = api_as(manager).post(f"leads/{loser.name}/merge", {"into": survivor.name})
    assert r.status_code == 200, r.content
    assert Opportunity.objects.get(pk=opp.pk).lead_id == survivor.name
    assert r.json()["status"] == "Opportunity"  # recomputed from its opportunities
    assert Contact.objects.filter(link_doctype="Lead", link_name=survivor.name).count() == 2
    customer = services.make_customer_from_lead(Lead.objects.get(pk=survivor.pk), by=sales)
    other = make_lead(sales, lead_name="Ada 3", email_id="a3@engines.example")
    r = api_as(manager).post(f"leads/{survivor.name}/merge", {"into": other.name})
    assert r.status_code == 200, r.content
    assert Customer.objects.get(pk=customer.pk).lead_name_id == other.name


def test_merging_contacts_moves_the_documents_naming_them(manager, sales, api_as):
    customer = make_customer(sales)
    survivor = services.create_contact(
        data={
            "first_name": "Jo",
            "email_id": "jo@x.example",
            "link_doctype": "Customer",
            "link_name": customer.name,
        },
        by=sales,
    )
    loser = services.create_contact(
        data={
            "first_name": "Joanna",
            "phone": "0301234567",
            "link_doctype": "Customer",
            "link_name": customer.name,
        },
        by=sales,
    )
    opp = make_opportunity(sales, customer, contact_person=loser.name)
    r = api_as(manager).post(
        f"contacts/{loser.name}/merge",
        {"into": survivor.name, "keep": {"phone": "this", "first_name": "this"}},
    )
    assert r.status_code == 200, r.content
    assert r.json()["first_name"] == "Joanna"
    assert r.json()["phone"] == "0301234567"
    assert r.json()["link_name"] == customer.name
    assert Opportunity.objects.get(pk=opp.pk).contact_person_id == survivor.name
    assert not Contact.objects.filter(pk=loser.pk).exists()


# --- refusals ------------------------------------------------------------------------------------
def test_only_managers_merge(sales, api_as):
    loser, survivor = two_customers(sales)
    before = row_counts()
    r = api_as(sales).post(f"customers/{loser.name}/merge", {"into": survivor.name})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "permission_denied"
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"into": "SELF"}, "into"),
        ({"into": "No such customer"}, "into"),
        ({"into": "OTHER", "keep": {"name": "this"}}, "keep"),
        ({"into": "OTHER", "keep": {"version": "this"}}, "keep"),
        ({"into": "OTHER", "keep": {"customer_name": "both"}}, "keep.customer_name"),
        ({"into": ""}, "into"),
        ({"into": "x" * 141}, "into"),
        ({"into": "OTHER", "unknown": 1}, "unknown"),
        ({"keep": {}}, "into"),
        ({"into": 5}, "into"),
        ({"into": "OTHER", "keep": ["phone"]}, "keep"),
        ({"into": "OTHER", "version": "new"}, "version"),
        ({"into": "OTHER", "into_version": 0}, "into_version"),
    ],
)
def test_hostile_merge_bodies_are_refused_naming_the_field(manager, sales, api_as, body, field):
    loser, survivor = two_customers(sales)
    body = {
        k: (loser.name if v == "SELF" else survivor.name if v == "OTHER" else v)
        for k, v in body.items()
    }
    before = row_counts()
    r = api_as(manager).post(f"customers/{loser.name}/merge", body)
    assert r.status_code in (400, 422), r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert row_counts() == before


def test_merging_into_another_kind_is_refused(manager, sales, api_as):
    lead = make_lead(sales)
    loser, _survivor = two_customers(sales)
    r = api_as(manager).post(f"customers/{loser.name}/merge", {"into": lead.name})
    assert r.status_code == 422
    assert "into" in r.json()["error"]["fields"]


@pytest.mark.parametrize("stale", ["version", "into_version", "If-Match"])
def test_a_stale_version_of_either_is_a_409(manager, sales, api_as, stale):
    loser, survivor = two_customers(sales)
    before = row_counts()
    body = {"into": survivor.name}
    headers = {}
    if stale == "If-Match":
        headers["If-Match"] = str(loser.version + 5)
    else:
        body[stale] = 99
    r = api_as(manager).post(f"customers/{loser.name}/merge", body, headers=headers)
    assert r.status_code == 409, r.content
    field = "into_version" if stale == "into_version" else "version"
    assert r.json()["error"]["fields"] == {field: ["stale version"]}
    assert row_counts() == before


def test_a_failure_midway_changes_nothing(manager, sales, api_as):
    loser, survivor = two_customers(sales)
    opp = make_opportunity(sales, loser)
    add_comment("Customer", loser.name, content="note", by=sales)
    before = row_counts()
    comments = Comment.objects.count()
    with (
        mock.patch(
            "opportune.crm.services.merge.delete_document", side_effect=RuntimeError("disk full")
        ),
        pytest.raises(RuntimeError),
    ):
        services.merge_party(Customer, loser, into=survivor.name, by=manager)
    assert row_counts() == before
    assert Comment.objects.count() == comments
    assert Opportunity.objects.get(pk=opp.pk).customer_id == loser.name
    assert Customer.objects.get(pk=survivor.pk).version == survivor.version


def test_the_merge_page(manager, sales):
    loser, survivor = two_customers(sales)
    opp = make_opportunity(sales, loser)
    client = client_for(manager)
    r = client.get(f"/crm/customers/{loser.name}/merge/")
    assert r.status_code == 200
    r = client.get(f"/crm/customers/{loser.name}/merge/", {"into": survivor.name})
    html = r.content.decode()
    assert 'name="keep_phone"' in html and "+1 555 010 2030" in html
    r = client.post(
        f"/crm/customers/{loser.name}/merge/",
        {
            "into": survivor.name,
            "keep_phone": "this",
            "keep_customer_name": "into",
            "version": survivor.version,
        },
    )
    assert r.status_code == 302
    assert r["Location"] == f"/crm/customers/{quote(survivor.name)}/"
    assert Opportunity.objects.get(pk=opp.pk).customer_id == survivor.name
    assert Customer.objects.get(pk=survivor.pk).phone == "+1 555 010 2030"
    # not for sales users
    assert client_for(sales).get(f"/crm/customers/{survivor.name}/merge/").status_code == 403


def test_merge_queries_do_not_grow_with_the_links(manager, sales):
    def merge_with(n: int) -> int:
        loser, survivor = two_customers(sales)
        for i in range(n):
            make_opportunity(sales, loser)
            add_comment("Customer", loser.name, content=f"c{i}", by=sales)
        with CaptureQueriesContext(connection) as queries:
            services.merge_party(Customer, loser, into=survivor.name, by=manager)
        return len(queries)

    few = merge_with(1)
    many = merge_with(8)
    assert many - few <= 2  # not one per moved row (naming the second pair may take one more)
    assert few < 120


def test_what_points_at_each_kind_is_found():
    """core.merge finds the links itself; this lists them so a new one is noticed."""
    from opportune.core.merge import referring_models

    def found(model):
        return {
            (m._meta.label, *sorted(f.name for f in fks), *sorted(n for _t, n in pairs))
            for m, fks, pairs in referring_models(model)
            if fks or m._meta.label not in GENERIC
        }

    GENERIC = {  # the generic references, found for every kind
        "core.Comment",
        "notifications.Notification",
        "activities.Event",
        "activities.Activity",
        "automation.Assignment",
        "comms.Communication",
        "comms.CommunicationLink",
        "crm.Contact",
        "crm.Opportunity",
        "selling.Quotation",
    }
    generic = {m._meta.label for m, _fks, pairs in referring_models(Lead) if pairs}
    assert generic == GENERIC
    assert found(Lead) == {
        ("crm.Customer", "lead_name"),
        ("crm.Opportunity", "lead", "party_name"),
        ("selling.Quotation", "lead", "party_name"),
    }
    assert found(Customer) == {
        ("crm.Opportunity", "customer", "party_name"),
        ("selling.Quotation", "customer", "party_name"),
        ("selling.SalesOrder", "customer"),
    }
    assert found(Contact) == {
        ("crm.Opportunity", "contact_person", "party_name"),
        ("selling.Quotation", "contact_person", "party_name"),
        ("selling.SalesOrder", "contact_person"),
    }
