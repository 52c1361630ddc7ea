"""The bulk path of an import (an importer's ``create_many``, decision 0030) gives what the
one-by-one path through the service gives: the same outcomes and errors by field, the same
documents under the same names, the same history records and search entries."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from opportune.activities.models import Event
from opportune.core import imports
from opportune.core.models import Comment, ImportJob, SearchEntry
from opportune.core.tests.test_imports import check, csv_file, upload
from opportune.crm.models import (
    Contact,
    CRMSettings,
    Customer,
    Lead,
    Opportunity,
    OpportunityItem,
)
from opportune.crm.services import add_lead_comment, create_contact
from opportune.crm.webhooks import CREATED
from opportune.testing import client_for, make_customer, make_item, make_lead, series_rewound
from opportune.webhooks.models import Webhook, WebhookDelivery
from opportune.webhooks.services import forget_subscriptions

pytestmark = pytest.mark.django_db

MIXED_LEADS = [
    ["Person Name", "Organization Name", "Email", "Phone", "Lead Owner", "Territory"],
    ["Ada Lovelace", "Engines", "ada@engines.example", "+44 20 7946 0001", "sales", ""],
    ["", "Nobody Ltd", "nobody@example.com", "", "", ""],
    ["Grace Hopper", "Navy", "not an email", "", "", ""],
    ["Alan Turing", "Bletchley", "alan@bletchley.example", "", "nobody-here", ""],
    ["Ada Again", "Engines", "ADA@engines.example", "", "", ""],  # the file's own duplicate
    ["Old Phone", "Elsewhere", "", "020 7946 0002", "", ""],  # a lead here has the number
    ["Kurt Gödel", "Vienna", "kurt@vienna.example", "", "", "Nowhere"],
    ["Emmy Noether", "Göttingen", "emmy@goettingen.example", "+49 551 1234567", "", ""],
    ["Emmy Twin", "Göttingen", "", "0551 1234567", "", ""],  # the phone of the row above
]


def _snapshot(job: ImportJob, *, names: bool = True) -> dict[str, Any]:
    job.refresh_from_db()
    outcomes: list[Any] = list(
        job.outcomes.order_by("row").values_list("row", "outcome", "name", "errors")
    )
    lead_fields = [f.attname for f in Lead._meta.concrete_fields if f.name not in ("modified",)]
    contact_fields = [
        f.attname for f in Contact._meta.concrete_fields if f.name not in ("modified", "creation")
    ]
    imported = Lead.objects.exclude(lead_name="Old")
    return {
        "job": (job.status, job.succeeded, job.failed),
        "outcomes": outcomes if names else [(r, o, e) for r, o, _, e in outcomes],
        "leads": [
            {k: v for k, v in row.items() if k != "creation"}
            for row in imported.order_by("name").values(*lead_fields)
        ],
        "contacts": list(
            Contact.objects.filter(link_name__in=imported.values("name"))
            .order_by("name")
            .values(*contact_fields)
        ),
        "history": list(
            Lead.history.exclude(lead_name="Old")
            .order_by("name")
            .values_list("name", "history_type", "history_door", "history_user", "lead_name")
        ),
        "contact history": list(
            Contact.history.exclude(first_name="Old")
            .order_by("name")
            .values_list("name", "history_type", "history_door", "history_user", "first_name")
        ),
        "search": list(
            SearchEntry.objects.exclude(text__contains="Old")
            .order_by("doctype", "name")
            .values_list("doctype", "name", "text")
        ),
    }


def _run(client, mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    job = upload(client, "Lead", csv_file(MIXED_LEADS))
    check(client, job)
    checked = _snapshot(job, names=False)
    client.post(f"/import/{job.pk}/run/", {"mode": mode})
    return checked, _snapshot(job)


@pytest.mark.parametrize("mode", ["valid", "all"])
def test_leads_in_bulk_are_what_one_by_one_makes(sales, monkeypatch, mode):
    make_lead(sales, lead_name="Old", email_id="old@here.example", phone="020 7946 0002")
    client = client_for(sales)
    one_by_one = dataclasses.replace(imports._IMPORTERS["Lead"], create_many=None)
    with series_rewound(), transaction.atomic():
        with monkeypatch.context() as patch:
            patch.setitem(imports._IMPORTERS, "Lead", one_by_one)
            old_check, old = _run(client, mode)
        transaction.set_rollback(True)  # the same names again for the bulk path
    assert imports._IMPORTERS["Lead"].create_many is not None
    new_check, new = _run(client, mode)
    assert new_check == old_check
    for key in old:
        assert new[key] == old[key], key
    errors = {row: errors for row, _, _, errors in new["outcomes"] if errors}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 10}
    assert "email_id" in errors[6] and "phone" in errors[7] and "territory" in errors[8]
    assert "phone" in errors[10]  # a duplicate of a row made earlier in the same file
    if mode == "valid":
        assert [lead["lead_name"] for lead in new["leads"]] == ["Ada Lovelace", "Emmy Noether"]
        assert len(new["contacts"]) == 2 and len(new["history"]) == 2
    else:
        assert new["leads"] == [] and new["job"][0] == "failed"


def make_contact_for(by, customer) -> Contact:
    return create_contact(
        data={
            "first_name": "Wile",
            "last_name": "Coyote",
            "email_id": "wile@acme.example",
            "link_doctype": "Customer",
            "link_name": customer.name,
            "is_primary_contact": True,
        },
        by=by,
    )


# --- opportunities with their items (crm.services.create_opportunities) -----------------------
def _opportunity_snapshot(job: ImportJob, *, names: bool = True) -> dict[str, Any]:
    job.refresh_from_db()
    outcomes: list[Any] = list(
        job.outcomes.order_by("row").values_list("row", "last_row", "outcome", "name", "errors")
    )
    fields = [
        f.attname
        for f in Opportunity._meta.concrete_fields
        # a lead made during the run has its own creation in each run (``lead_creation_of``
        # still shows the copy was taken)
        if f.name not in ("modified", "creation", "lead_creation")
    ]
    item_fields = [f.attname for f in OpportunityItem._meta.concrete_fields if f.name != "id"]
    return {
        "job": (job.status, job.succeeded, job.failed),
        "outcomes": outcomes if names else [(r, lr, o, e) for r, lr, o, _, e in outcomes],
        "opportunities": list(Opportunity.objects.order_by("name").values(*fields)),
        "items": list(OpportunityItem.objects.order_by("opportunity", "idx").values(*item_fields)),
        "history": list(
            Opportunity.history.order_by("name").values_list(
                "name", "history_type", "history_door", "history_user", "title", "history_rows"
            )
        ),
        "search": list(
            SearchEntry.objects.filter(doctype="Opportunity")
            .order_by("name")
            .values_list("name", "text")
        ),
        "leads": list(Lead.objects.order_by("name").values_list("name", "status", "version")),
        "comments": list(
            Comment.objects.order_by("id").values_list(
                "reference_doctype", "reference_name", "comment_type", "content", "owner"
            )
        ),
        "events": list(
            Event.objects.order_by("reference_name").values_list(
                "reference_doctype", "reference_name", "subject", "owner", "starts_on"
            )
        ),
        "webhooks": sorted(
            (d.event, d.payload["data"]["name"], d.payload["data"]["title"])
            for d in WebhookDelivery.objects.all()
        ),
        "assigned": list(
            Opportunity.objects.order_by("name").values_list("name", "opportunity_owner")
        ),
    }


def _run_opportunities(client, rows, mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    job = upload(client, "Opportunity", csv_file(rows))
    check(client, job)
    checked = _opportunity_snapshot(job, names=False)
    client.post(f"/import/{job.pk}/run/", {"mode": mode})
    return checked, _opportunity_snapshot(job)


@pytest.mark.parametrize("mode", ["valid", "all"])
def test_opportunities_in_bulk_are_what_one_by_one_makes(sales, sales2, monkeypatch, mode):
    make_item("WIDGET", rate="10")
    make_item("GADGET", rate="5")
    settings = CRMSettings.current()
    settings.carry_forward_communication_and_comments = True
    settings.save()
    lead = make_lead(sales, lead_name="Ada Lovelace", company_name="Engines")
    add_lead_comment(lead, content="Call her on Monday", by=sales)
    hidden = make_lead(sales2, lead_name="Theirs", email_id="theirs@example.com")
    customer = make_customer(sales, customer_name="Acme")
    make_contact_for(sales, customer)
    closed = make_customer(sales, customer_name="Gone")
    Customer.objects.filter(pk=closed.pk).update(disabled=True)
    Webhook.objects.create(
        name="Hook", url="https://example.com/hook", events=[CREATED], secret_encrypted="x"
    )
    forget_subscriptions()
    soon = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    rows = [
        [
            "ID",
            "Opportunity From",
            "Party",
            "Title",
            "Next Contact By",
            "Next Contact Date",
            "Item Code (Items)",
            "Quantity (Items)",
            "Rate (Items)",
        ],
        ["o1", "Customer", customer.name, "Big deal", "", "", "WIDGET", "2", "10"],
        ["o1", "", "", "", "", "", "GADGET", "3", ""],
        ["o2", "Lead", lead.name, "", "sales", soon, "WIDGET", "1", "12"],
        ["o3", "Lead", lead.name, "Second for Ada", "", "", "", "", ""],
        ["o4", "Lead", hidden.name, "Not mine", "", "", "WIDGET", "1", "1"],
        ["o5", "Customer", "Nobody Inc", "", "", "", "WIDGET", "1", "1"],
        ["o6", "Customer", customer.name, "Bad row", "", "", "NOPE", "1", "1"],
        ["o7", "Customer", customer.name, "Bad qty", "", "", "WIDGET", "-4", "1"],
        ["o8", "Customer", closed.name, "Disabled", "", "", "WIDGET", "1", "1"],
        ["o9", "Customer", customer.name, "Unknown owner", "nobody-here", soon, "", "", ""],
        ["o10", "Customer", customer.name, "Past", "sales", "2001-01-01 10:00", "", "", ""],
        ["o11", "Customer", customer.name, "Last good", "", "", "GADGET", "4", "2.5"],
    ]
    client = client_for(sales)
    one_by_one = dataclasses.replace(imports._IMPORTERS["Opportunity"], create_many=None)
    with series_rewound(), transaction.atomic():
        with monkeypatch.context() as patch:
            patch.setitem(imports._IMPORTERS, "Opportunity", one_by_one)
            old_check, old = _run_opportunities(client, rows, mode)
        transaction.set_rollback(True)  # the same names again for the bulk path
    forget_subscriptions()
    assert imports._IMPORTERS["Opportunity"].create_many is not None
    new_check, new = _run_opportunities(client, rows, mode)
    assert new_check == old_check
    for key in old:
        assert new[key] == old[key], key
    errors = {row: errors for row, _, _, _, errors in new["outcomes"] if errors}
    assert set(errors) == {6, 7, 8, 9, 10, 11, 12}, errors
    assert errors[6] == {"party_name": [f"Lead '{hidden.name}' does not exist."]}
    assert "item_code (row 8)" in errors[8] and "qty (row 9)" in errors[9]
    assert "contact_by" in errors[11] and "contact_date" in errors[12]
    if mode == "valid":
        assert len(new["opportunities"]) == 4 and len(new["items"]) == 4
        assert ("Lead", lead.name, "Comment", "Call her on Monday", sales.pk) in new["comments"]
        assert len([c for c in new["comments"] if c[3] == "Call her on Monday"]) == 3
        assert [status for name, status, _ in new["leads"] if name == lead.name] == ["Opportunity"]
        assert len(new["events"]) == 1 and len(new["webhooks"]) == 4
    else:
        assert new["opportunities"] == [] and new["job"][0] == "failed"


# --- contacts (crm.services.create_contacts) ---------------------------------------------------
def _contact_snapshot(job: ImportJob, *, names: bool = True) -> dict[str, Any]:
    job.refresh_from_db()
    outcomes: list[Any] = list(
        job.outcomes.order_by("row").values_list("row", "outcome", "name", "errors")
    )
    fields = [
        f.attname for f in Contact._meta.concrete_fields if f.name not in ("modified", "creation")
    ]
    return {
        "job": (job.status, job.succeeded, job.failed),
        "outcomes": outcomes if names else [(r, o, e) for r, o, _, e in outcomes],
        "contacts": list(Contact.objects.order_by("name").values(*fields)),
        "history": list(
            Contact.history.order_by("name").values_list(
                "name", "history_type", "history_door", "history_user", "first_name"
            )
        ),
        "search": list(
            SearchEntry.objects.filter(doctype="Contact")
            .order_by("name")
            .values_list("name", "text")
        ),
    }


@pytest.mark.parametrize("mode", ["valid", "all"])
def test_contacts_in_bulk_are_what_one_by_one_makes(sales, sales2, monkeypatch, mode):
    settings = CRMSettings.current()
    settings.auto_creation_of_contact = False
    settings.save()
    lead = make_lead(sales, lead_name="Ada Lovelace")
    hidden = make_lead(sales2, lead_name="Theirs", email_id="theirs@example.com")
    customer = make_customer(sales, customer_name="Acme")
    make_contact_for(sales, customer)  # wile@acme.example
    rows = [
        ["First Name", "Last Name", "Email", "Phone", "Link Document Type", "Link Name"],
        ["Road", "Runner", "road@acme.example", "+1 555 0101", "Customer", customer.name],
        ["Ada", "", "ada.contact@engines.example", "", "Lead", lead.name],
        ["", "Nameless", "nameless@example.com", "", "", ""],
        ["Bad", "Mail", "not an email", "", "", ""],
        ["Wile", "Again", "WILE@acme.example", "", "Customer", customer.name],
        ["Road", "Twin", "", "+1-555-0101", "", ""],  # the phone of the first row
        ["Them", "", "", "", "Lead", hidden.name],
        ["Who", "", "", "", "Customer", "Nobody Inc"],
        ["What", "", "", "", "Planet", "Mars"],
        ["Last", "Good", "last@example.com", "", "", ""],
    ]
    client = client_for(sales)
    one_by_one = dataclasses.replace(imports._IMPORTERS["Contact"], create_many=None)
    with series_rewound(), transaction.atomic():
        with monkeypatch.context() as patch:
            patch.setitem(imports._IMPORTERS, "Contact", one_by_one)
            job = upload(client, "Contact", csv_file(rows))
            check(client, job)
            old_check = _contact_snapshot(job, names=False)
            client.post(f"/import/{job.pk}/run/", {"mode": mode})
            old = _contact_snapshot(job)
        transaction.set_rollback(True)  # the same names again for the bulk path
    assert imports._IMPORTERS["Contact"].create_many is not None
    job = upload(client, "Contact", csv_file(rows))
    check(client, job)
    assert _contact_snapshot(job, names=False) == old_check
    client.post(f"/import/{job.pk}/run/", {"mode": mode})
    new = _contact_snapshot(job)
    for key in old:
        assert new[key] == old[key], key
    errors = {row: errors for row, _, _, errors in new["outcomes"] if errors}
    assert set(errors) == {4, 5, 6, 7, 8, 9, 10}, errors
    assert "email_id" in errors[6] and "phone" in errors[7] and "link_name" in errors[8]
    if mode == "valid":
        assert len(new["contacts"]) == 4 and len(new["history"]) == 4
    else:
        assert len(new["contacts"]) == 1 and new["job"][0] == "failed"


# --- customers (crm.services.create_customers) -------------------------------------------------
def _customer_snapshot(job: ImportJob, *, names: bool = True) -> dict[str, Any]:
    job.refresh_from_db()
    outcomes: list[Any] = list(
        job.outcomes.order_by("row").values_list("row", "outcome", "name", "errors")
    )
    fields = [
        f.attname for f in Customer._meta.concrete_fields if f.name not in ("modified", "creation")
    ]
    return {
        "job": (job.status, job.succeeded, job.failed),
        "outcomes": outcomes if names else [(r, o, e) for r, o, _, e in outcomes],
        "customers": list(Customer.objects.order_by("name").values(*fields)),
        "history": list(
            Customer.history.order_by("name").values_list(
                "name", "history_type", "history_door", "history_user", "customer_name"
            )
        ),
        "search": list(
            SearchEntry.objects.filter(doctype="Customer")
            .order_by("name")
            .values_list("name", "text")
        ),
    }


@pytest.mark.parametrize("mode", ["valid", "all"])
def test_customers_in_bulk_are_what_one_by_one_makes(sales, monkeypatch, mode):
    make_customer(sales, customer_name="Acme", email_id="hello@acme.example")
    make_customer(sales, customer_name="Acme - 2")
    rows = [
        ["Customer Name", "Customer Type", "Email Id", "Phone", "Territory"],
        ["Acme", "Company", "", "", ""],  # named Acme - 3
        ["Acme", "Company", "", "", ""],  # and Acme - 4
        ["Fish/Chips", "Company", "", "+44 20 7946 0100", ""],
        ["", "Company", "nobody@example.com", "", ""],
        ["Copycat", "Company", "HELLO@acme.example", "", ""],
        ["Chips Twin", "Company", "", "020 7946 0100", ""],  # the phone of the row above
        ["Bad Mail", "Company", "not an email", "", ""],
        ["Nowhere Ltd", "Company", "", "", "Atlantis"],
        ["Odd Type", "Alien", "", "", ""],
        ["Last Good", "Individual", "last@example.com", "", ""],
    ]
    client = client_for(sales)
    one_by_one = dataclasses.replace(imports._IMPORTERS["Customer"], create_many=None)
    with series_rewound(), transaction.atomic():
        with monkeypatch.context() as patch:
            patch.setitem(imports._IMPORTERS, "Customer", one_by_one)
            job = upload(client, "Customer", csv_file(rows))
            check(client, job)
            old_check = _customer_snapshot(job, names=False)
            client.post(f"/import/{job.pk}/run/", {"mode": mode})
            old = _customer_snapshot(job)
        transaction.set_rollback(True)
    assert imports._IMPORTERS["Customer"].create_many is not None
    job = upload(client, "Customer", csv_file(rows))
    check(client, job)
    assert _customer_snapshot(job, names=False) == old_check
    client.post(f"/import/{job.pk}/run/", {"mode": mode})
    new = _customer_snapshot(job)
    for key in old:
        assert new[key] == old[key], key
    errors = {row: errors for row, _, _, errors in new["outcomes"] if errors}
    assert set(errors) == {5, 6, 7, 8, 9, 10}, errors
    assert "email_id" in errors[6] and "phone" in errors[7] and "territory" in errors[9]
    if mode == "valid":
        made = [name for _, outcome, name, _ in new["outcomes"] if outcome == "created"]
        assert made == ["Acme - 3", "Acme - 4", "Fish-Chips", "Last Good"]
    else:
        assert len(new["customers"]) == 2 and new["job"][0] == "failed"


def test_a_batch_with_a_party_from_an_email_goes_one_by_one(sales, monkeypatch):
    """A row without a party but with an e-mail address gets the party behind it, or a new lead
    (create_opportunity's rule): its batch goes through create_opportunity row by row."""
    customer = make_customer(sales, customer_name="Acme")
    rows = [
        ["Opportunity From", "Party", "Title", "Contact Email"],
        ["Customer", customer.name, "Known", ""],
        ["", "", "From an address", "grace@navy.example"],
        ["Customer", "Nobody Inc", "Bad", ""],
    ]
    client = client_for(sales)
    one_by_one = dataclasses.replace(imports._IMPORTERS["Opportunity"], create_many=None)
    with series_rewound(), transaction.atomic():
        with monkeypatch.context() as patch:
            patch.setitem(imports._IMPORTERS, "Opportunity", one_by_one)
            old_check, old = _run_opportunities(client, rows, "valid")
        transaction.set_rollback(True)
    new_check, new = _run_opportunities(client, rows, "valid")
    assert new_check == old_check
    for key in old:
        assert new[key] == old[key], key
    assert [o[2] for o in new["outcomes"]] == ["created", "created", "error"]
    assert Lead.objects.filter(email_id="grace@navy.example").exists()
