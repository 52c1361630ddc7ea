"""The bulk path of an import (an importer's ``create_many``, decision 0030) gives what the
one-by-one path through the service gives: the same outcomes and errors by field, the same
documents under the same names, the same history records and search entries."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.db import transaction

from opportune.core import imports
from opportune.core.models import ImportJob, SearchEntry
from opportune.core.tests.test_imports import check, csv_file, upload
from opportune.crm.models import Contact, Lead
from opportune.testing import client_for, make_lead

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
    with transaction.atomic():
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
