"""Quotations imported in bulk (``create_quotations``, create_quotation's twin, decision 0030)
are what one row at a time through ``create_quotation`` makes: the same outcomes and errors by
field, quotations under the same names with the same totals, item rows, history records,
search entries, and no other effect (no timeline line, no webhook, no status moved); all or
nothing with one bad row changes nothing; a batch costs the same queries whatever its size."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from opportune.core import imports
from opportune.core.company import company_settings
from opportune.core.models import Comment, ImportJob, SearchEntry
from opportune.core.tests.test_imports import check, csv_file, upload
from opportune.crm.models import Customer, Lead, Opportunity
from opportune.crm.services import create_contact
from opportune.selling.models import Quotation, QuotationItem
from opportune.selling.services import create_quotations
from opportune.testing import (
    client_for,
    make_customer,
    make_item,
    make_lead,
    make_opportunity,
    make_rate,
)
from opportune.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

HEADER = [
    "ID",
    "Quotation To",
    "Party",
    "Title",
    "Contact Person",
    "Opportunity",
    "Currency",
    "Tax Rate",
    "Valid Till",
    "Item Code (Items)",
    "Quantity (Items)",
    "Rate (Items)",
]


def _contact(by, party, first_name: str) -> Any:
    return create_contact(
        data={
            "first_name": first_name,
            "email_id": f"{first_name.lower()}@example.com",
            "mobile_no": "+1 555 0100",
            "link_doctype": party.doctype,
            "link_name": party.name,
        },
        by=by,
    )


def _world(sales, sales2) -> dict[str, Any]:
    make_item("WIDGET", rate="10")
    make_item("GADGET", rate="5")
    acme = make_customer(sales, customer_name="Acme", email_id="hello@acme.example")
    other = make_customer(sales, customer_name="Other")
    closed = make_customer(sales, customer_name="Gone")
    Customer.objects.filter(pk=closed.pk).update(disabled=True)
    company = company_settings().company_currency_id
    foreign = [c for c in ("JPY", "GBP", "EUR", "INR") if c != company]
    make_rate(foreign[0], company, "0.0067")
    return {
        "acme": acme,
        "other": other,
        "closed": closed,
        "lead": make_lead(sales, lead_name="Ada Lovelace", company_name="Engines"),
        "hidden": make_lead(sales2, lead_name="Theirs", email_id="theirs@example.com"),
        "wile": _contact(sales, acme, "Wile"),
        "road": _contact(sales, other, "Road"),
        "opportunity": make_opportunity(sales, acme, title="Acme deal"),
        "hidden opportunity": make_opportunity(sales2, title="Not mine"),
        "with rate": foreign[0],
        "without rate": foreign[1],
    }


def _rows(w: dict[str, Any]) -> list[list[str]]:
    acme, lead = w["acme"].name, w["lead"].name
    none = ["", "", "", "", "", ""]  # Title ... Valid Till

    def row(key, to, party, *rest):
        return [key, to, party, *rest]

    return [
        HEADER,
        row("q1", "Customer", acme, "Big", w["wile"].name, w["opportunity"].name, "", "10", "")
        + ["WIDGET", "2", "10"],
        row("q1", "", "", *none, "GADGET", "3", ""),
        row("q2", "Lead", lead, "", "", "", w["with rate"], "", "", "WIDGET", "1", "1234.5"),
        row("q3", "Lead", w["hidden"].name, *none, "WIDGET", "1", "1"),
        row("q4", "Customer", "Nobody Inc", *none, "WIDGET", "1", "1"),
        row("q5", "Customer", acme, "", "", w["hidden opportunity"].name, "", "", "")
        + ["WIDGET", "1", "1"],
        row("q6", "Customer", acme, "", w["road"].name, "", "", "", "", "WIDGET", "1", "1"),
        row("q7", "Customer", w["closed"].name, *none, "WIDGET", "1", "1"),
        row("q8", "Customer", acme, "", "", "", w["without rate"], "", "", "WIDGET", "1", "1"),
        row("q9", "Customer", acme, "", "", "", "", "150", "", "WIDGET", "1", "1"),
        row("q10", "Customer", acme, "", "", "", "", "", "2001-01-01", "WIDGET", "1", "1"),
        row("q11", "Customer", acme, *none, "NOPE", "1", "1"),
        row("q12", "Customer", acme, *none, "WIDGET", "1.5", "1"),
        row("q13", "Planet", "Mars", *none, "WIDGET", "1", "1"),
        row("q14", "Customer", acme, "No items yet", "", "", "", "", "", "", "", ""),
        row("q15", "Customer", w["other"].name, "", "", "", "", "7.5", "", "GADGET", "4", "2.5"),
        row("q15", "", "", *none, "WIDGET", "1", ""),
    ]


def _snapshot(job: ImportJob, *, names: bool = True) -> dict[str, Any]:
    job.refresh_from_db()
    outcomes: list[Any] = list(
        job.outcomes.order_by("row").values_list("row", "last_row", "outcome", "name", "errors")
    )
    fields = [
        f.attname for f in Quotation._meta.concrete_fields if f.name not in ("creation", "modified")
    ]
    item_fields = [f.attname for f in QuotationItem._meta.concrete_fields if f.name != "id"]
    return {
        "job": (job.status, job.succeeded, job.failed),
        "outcomes": outcomes if names else [(r, lr, o, e) for r, lr, o, _, e in outcomes],
        "quotations": list(Quotation.objects.order_by("name").values(*fields)),
        "items": list(QuotationItem.objects.order_by("quotation", "idx").values(*item_fields)),
        "history": list(
            Quotation.history.order_by("name").values_list(
                "name",
                "history_type",
                "history_door",
                "history_user",
                "title",
                "grand_total",
                "history_rows",
            )
        ),
        "search": list(
            SearchEntry.objects.filter(doctype="Quotation")
            .order_by("name")
            .values_list("name", "text")
        ),
        "comments": Comment.objects.count(),
        "webhooks": WebhookDelivery.objects.count(),
        "leads": list(Lead.objects.order_by("name").values_list("name", "status", "version")),
        "opportunities": list(
            Opportunity.objects.order_by("name").values_list("name", "status", "version")
        ),
    }


def _run(client, rows, mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    job = upload(client, "Quotation", csv_file(rows))
    check(client, job)
    checked = _snapshot(job, names=False)
    client.post(f"/import/{job.pk}/run/", {"mode": mode})
    return checked, _snapshot(job)


@pytest.mark.parametrize("mode", ["valid", "all"])
def test_quotations_in_bulk_are_what_one_by_one_makes(sales, sales2, monkeypatch, mode):
    w = _world(sales, sales2)
    rows = _rows(w)
    client = client_for(sales)
    one_by_one = dataclasses.replace(imports._IMPORTERS["Quotation"], create_many=None)
    with transaction.atomic():
        with monkeypatch.context() as patch:
            patch.setitem(imports._IMPORTERS, "Quotation", one_by_one)
            old_check, old = _run(client, rows, mode)
        transaction.set_rollback(True)  # the same names again for the bulk path
    assert imports._IMPORTERS["Quotation"].create_many is not None
    new_check, new = _run(client, rows, mode)
    assert new_check == old_check
    for key in old:
        assert new[key] == old[key], key
    errors = {row: errors for row, _, _, _, errors in new["outcomes"] if errors}
    assert set(errors) == set(range(5, 16)), errors
    assert errors[5] == {"party_name": [f"Lead '{w['hidden'].name}' does not exist."]}
    assert errors[7] == {
        "opportunity": [f"Opportunity '{w['hidden opportunity'].name}' does not exist."]
    }
    assert "contact_person" in errors[8] and "party_name" in errors[9]
    assert "conversion_rate" in errors[10] and "tax_rate" in errors[11]
    assert "valid_till" in errors[12] and "item_code (row 13)" in errors[13]
    assert "qty (row 14)" in errors[14] and "quotation_to" in errors[15]
    if mode == "valid":
        made = {q["title"]: q for q in new["quotations"]}
        assert {"Big", "No items yet", "Other"} <= set(made) and len(made) == 4
        big = made["Big"]
        assert (big["total"], big["grand_total"]) == (Decimal("35"), Decimal("38.5"))
        assert (big["contact_display"], big["opportunity_id"]) == ("Wile", w["opportunity"].name)
        assert {i["prevdoc_docname"] for i in new["items"] if i["quotation_id"] == big["name"]} == {
            w["opportunity"].name
        }
        assert len(new["items"]) == 5 and len(new["history"]) == 4 and len(new["search"]) == 4
    else:
        assert new["quotations"] == [] and new["job"][0] == "failed" and new["items"] == []


def _data(w: dict[str, Any], n: int) -> list[dict[str, Any]]:
    return [
        {
            "quotation_to": "Customer",
            "party_name": w["acme"].name,
            "contact_person": w["wile"].name,
            "opportunity": w["opportunity"].name,
            "tax_rate": "10",
            "items": [
                {"item_code": "WIDGET", "qty": "2", "rate": "10"},
                {"item_code": "GADGET", "qty": "1"},
            ],
        }
        for _ in range(n)
    ]


def test_a_batch_of_quotations_costs_the_same_queries_whatever_its_size(sales, sales2):
    """A chunk: the settings, its links, parties, contacts, items, UOMs (one query per kind),
    the currency's precision once, then the naming counter, the quotations, their history
    records, search entries and item rows (one statement each)."""
    w = _world(sales, sales2)
    create_quotations(_data(w, 1), by=sales)  # the naming series' counter of the year made
    counts = []
    for n in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            made = create_quotations(_data(w, n), by=sales)
        assert all(isinstance(q, Quotation) for q in made), made
        counts.append(len(queries))
    assert counts == [12, 12], [q["sql"][:80] for q in queries.captured_queries]
    with CaptureQueriesContext(connection) as queries:
        create_quotations(_data(w, 30), by=sales, write=False)
    assert len(queries) == 7, [q["sql"][:80] for q in queries.captured_queries]
