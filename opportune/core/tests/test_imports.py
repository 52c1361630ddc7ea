"""Importing rows (core.imports, decision 0030): upload, map, dry run, import all or nothing or
only the valid rows, through the pages; bad files answered clearly with nothing changed."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal

import pytest
from openpyxl import Workbook

from opportune.core import imports
from opportune.core.models import ImportJob, ImportRow, Job
from opportune.crm.models import Contact, Customer, Lead, Opportunity
from opportune.masters.models import Item
from opportune.selling.models import Quotation
from opportune.testing import body_of, client_for, make_customer, make_item, make_lead

pytestmark = pytest.mark.django_db


def csv_file(rows: list[list[str]], name: str = "rows.csv", encoding: str = "utf-8"):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode(encoding)
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def xlsx_file(rows: list[list[object]], name: str = "rows.xlsx"):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = name
    return out


def upload(client, doctype: str, file) -> ImportJob:
    r = client.post("/import/", {"doctype": doctype, "file": file})
    assert r.status_code == 302, r.content.decode()[:3000]
    return ImportJob.objects.get(pk=int(r["Location"].rstrip("/").split("/")[-1]))


def refused(client, doctype: str, file) -> str:
    r = client.post("/import/", {"doctype": doctype, "file": file})
    assert r.status_code == 422, r.status_code
    return r.content.decode()


def check(client, job: ImportJob, choices: dict[str, str] | None = None):
    page = client.get(f"/import/{job.pk}/")
    assert page.status_code == 200
    form = {}
    suggested = page.context["columns"]
    for index, title, choice in suggested:
        value = (choices or {}).get(title, choice)
        form[f"col-{index}"] = "?" if value is None else value
    return client.post(f"/import/{job.pk}/check/", form)


LEADS = [
    ["Person Name", "Organization Name", "Email", "Lead Owner"],
    ["Ada Lovelace", "Engines", "ada@engines.example", "sales"],
    ["", "Nobody Ltd", "nobody@example.com", ""],
    ["Grace Hopper", "Navy", "not an email", ""],
    ["Alan Turing", "Bletchley", "alan@bletchley.example", ""],
]


def test_leads_dry_run_shows_errors_by_field_and_changes_nothing(sales):
    client = client_for(sales)
    job = upload(client, "Lead", csv_file(LEADS))
    r = check(client, job)
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == "checked"
    assert (job.succeeded, job.failed) == (2, 2)
    assert not Lead.objects.exists()
    page = client.get(f"/import/{job.pk}/").content.decode()
    assert "lead_name" in page and "Give the person&#x27;s name." in page
    assert "email_id" in page
    errors = dict(job.outcomes.filter(outcome="error").values_list("row", "errors"))
    assert set(errors) == {3, 4}
    assert "lead_name" in errors[3] and "email_id" in errors[4]


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(sales):
    client = client_for(sales)
    job = upload(client, "Lead", csv_file(LEADS))
    check(client, job)
    r = client.post(f"/import/{job.pk}/run/", {"mode": "all"})
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == "failed"
    assert "nothing was imported" in job.message
    assert not Lead.objects.exists()
    outcomes = list(job.outcomes.order_by("row").values_list("outcome", flat=True))
    assert outcomes == ["skipped", "error", "error", "skipped"]


def test_valid_rows_only_imports_them_through_the_service_with_history(sales):
    client = client_for(sales)
    job = upload(client, "Lead", csv_file(LEADS))
    check(client, job)
    client.post(f"/import/{job.pk}/run/", {"mode": "valid"})
    job.refresh_from_db()
    assert job.status == "done" and (job.succeeded, job.failed) == (2, 2)
    leads = Lead.objects.order_by("lead_name")
    assert [lead.lead_name for lead in leads] == ["Ada Lovelace", "Alan Turing"]
    ada = leads[0]
    assert ada.name.startswith("CRM-LEAD-")  # the naming series
    assert ada.lead_owner == sales
    record = ada.history.get()
    assert record.history_door == "import" and record.history_user == sales
    result = body_of(client.get(f"/import/{job.pk}/result/")).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(result)))
    assert lines[0] == ["Row", "Outcome", "Name", "Errors"]
    assert lines[1][:3] == ["2", "created", ada.name]
    assert lines[2][1] == "error" and "lead_name" in lines[2][3]


def test_the_last_mapping_is_remembered(sales):
    client = client_for(sales)
    rows = [["Nom", "Entreprise"], ["Ada", "Engines"]]
    job = upload(client, "Lead", csv_file(rows))
    page = client.get(f"/import/{job.pk}/")
    assert "Not recognised: Nom, Entreprise" in page.content.decode()
    r = check(client, job, {"Nom": "?", "Entreprise": ""})
    assert r.status_code == 422
    assert "Column &#x27;Nom&#x27; is not recognised" in r.content.decode()
    check(client, job, {"Nom": "lead_name", "Entreprise": "company_name"})
    second = upload(client, "Lead", csv_file(rows))
    suggested = {t: c for _, t, c in client.get(f"/import/{second.pk}/").context["columns"]}
    assert suggested == {"Nom": "lead_name", "Entreprise": "company_name"}


def test_a_required_field_not_mapped_is_named(sales):
    client = client_for(sales)
    job = upload(client, "Lead", csv_file([["Organization Name"], ["Engines"]]))
    r = check(client, job)
    assert r.status_code == 422
    assert "No column is mapped to Person Name, which is required." in r.content.decode()
    assert not Lead.objects.exists()


def test_an_export_imports_back(sales):
    client = client_for(sales)
    make_customer(sales, customer_name="Babbage", email_id="b@engines.example")
    exported = body_of(client.get("/crm/customers/?format=csv"))
    Customer.objects.all().delete()
    export = io.BytesIO(exported)
    export.name = "customers.csv"
    job = upload(client, "Customer", export)
    suggested = {t: c for _, t, c in client.get(f"/import/{job.pk}/").context["columns"]}
    assert None not in suggested.values(), suggested
    check(client, job)
    client.post(f"/import/{job.pk}/run/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == "done", list(job.outcomes.values_list("errors", flat=True))
    assert Customer.objects.get().email_id == "b@engines.example"


def test_erpnext_headers_and_opportunities_with_items(sales):
    make_item("WIDGET", rate="10")
    make_item("GADGET", rate="5")
    lead = make_lead(sales, lead_name="Ada")
    rows = [
        ["Opportunity From", "Party", "Item Code (Items)", "Quantity (Items)", "Rate (Items)"],
        ["Lead", lead.name, "WIDGET", "2", "10"],
        ["", "", "GADGET", "3", "5"],
        ["Lead", lead.name, "NOPE", "1", ""],
    ]
    client = client_for(sales)
    job = upload(client, "Opportunity", xlsx_file(rows))
    check(client, job)
    job.refresh_from_db()
    assert (job.succeeded, job.failed) == (1, 1)
    problem = job.outcomes.get(outcome="error")
    assert problem.row == 4
    assert problem.errors == {"item_code (row 4)": ["Item 'NOPE' does not exist."]}
    client.post(f"/import/{job.pk}/run/", {"mode": "valid"})
    opportunity = Opportunity.objects.get()
    assert [(i.item_code_id, i.qty) for i in opportunity.items.order_by("idx")] == [
        ("WIDGET", Decimal(2)),
        ("GADGET", Decimal(3)),
    ]
    assert job.outcomes.get(outcome="created").last_row == 3


def test_quotations_with_items_and_items(manager):
    client = client_for(manager)
    job = upload(
        client,
        "Item",
        csv_file([["Item Code", "Item Name", "Standard Selling Rate"], ["BOLT", "Bolt", "2.5"]]),
    )
    check(client, job)
    client.post(f"/import/{job.pk}/run/", {"mode": "all"})
    assert Item.objects.get(pk="BOLT").standard_rate == 2.5
    customer = make_customer(manager, customer_name="Acme")
    rows = [
        ["ID", "Party", "Item Code", "Qty", "Rate"],
        ["q1", customer.name, "BOLT", "4", "3"],
        ["q1", "", "BOLT", "1", "2"],
    ]
    job = upload(client, "Quotation", csv_file(rows))
    check(client, job)
    client.post(f"/import/{job.pk}/run/", {"mode": "all"})
    quotation = Quotation.objects.get()
    assert quotation.party_name == customer.name and quotation.items.count() == 2
    assert quotation.grand_total == 14


def test_who_may_import_what(sales, outsider, purchaser):
    assert client_for(outsider).get("/import/").status_code == 403
    r = refused(client_for(sales), "Item", csv_file([["Item Code"], ["X"]]))
    assert "You may not import Item" in r
    another = upload(client_for(sales), "Lead", csv_file(LEADS))
    assert client_for(purchaser).get(f"/import/{another.pk}/").status_code in (403, 404)


def test_a_lead_the_user_cannot_see_is_not_found(sales, sales2):
    hidden = make_lead(sales2, lead_name="Theirs")
    client = client_for(sales)
    rows = [["Opportunity From", "Party"], ["Lead", hidden.name]]
    job = upload(client, "Opportunity", csv_file(rows))
    check(client, job)
    job.refresh_from_db()
    assert job.outcomes.get().errors == {"party_name": [f"Lead '{hidden.name}' does not exist."]}


def test_a_contact_of_a_lead_the_user_cannot_see_is_not_found(sales, sales2):
    hidden = make_lead(sales2, lead_name="Theirs")
    client = client_for(sales)
    rows = [
        ["First Name", "Link Document Type", "Link Name"],
        ["Ada", "Lead", hidden.name],
        ["Bea", "", ""],
    ]
    job = upload(client, "Contact", csv_file(rows))
    check(client, job)
    client.post(f"/import/{job.pk}/run/", {"mode": "valid"})
    job.refresh_from_db()
    errors = dict(job.outcomes.order_by("row").values_list("row", "errors"))
    assert errors[2] == {
        "link_name": [f"Lead '{hidden.name}' does not exist."]
    }  # rows as numbered in the file
    assert not errors[3]
    assert list(
        Contact.objects.filter(first_name__in=["Ada", "Bea"]).values_list("first_name", flat=True)
    ) == ["Bea"]


# --- bad files ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("file", "message"),
    [
        (lambda: csv_file([["Person Name"], ["Zoë"]], encoding="utf-16"), "not a text (CSV) file"),
        (lambda: csv_file([["Person Name"], ["Zoë Ñandú"]], encoding="latin-1"), "not UTF-8 text"),
        (lambda: _named(b"PK\x03\x04broken zip", "x.xlsx"), "not a readable Excel workbook"),
        (lambda: _named(os.urandom(4096), "junk.csv"), "CSV"),
        (lambda: _named(os.urandom(4096), "junk.xlsx"), "not a readable Excel workbook"),
        (lambda: _named(b"a" * (imports.MAX_BYTES + 1), "big.csv"), "larger than 10 MB"),
        (lambda: xlsx_file([["Person Name"], ["=1+1"]]), "Cell A2 holds a formula"),
        (lambda: csv_file([["Person Name"]]), "no data rows"),
        (lambda: _named(b"", "empty.csv"), "The file is empty."),
        (lambda: csv_file([["Person Name", "Person Name"], ["a", "b"]]), "Two columns"),
        (lambda: _named(b'Person Name\n"unclosed\n', "x.csv"), "cannot be read"),
        (lambda: _named(b"x", "x.pdf"), "Upload a CSV"),
    ],
)
def test_a_bad_file_is_answered_clearly_and_changes_nothing(sales, file, message):
    r = refused(client_for(sales), "Lead", file())
    assert message in r.replace("&#x27;", "'")
    assert not ImportJob.objects.exists() and not Lead.objects.exists()


def _named(data: bytes, name: str):
    out = io.BytesIO(data)
    out.name = name
    return out


def test_a_csv_injection_payload_is_refused_on_its_row(sales):
    client = client_for(sales)
    rows = [
        ["Person Name", "Phone", "Notes"],
        ['=HYPERLINK("http://evil")', "", ""],
        ["Ada", "+44 20 7946 0000", "@SUM(1)"],
        ["Grace", "'+1 555 0100", "'-cmd"],
    ]
    job = upload(client, "Lead", csv_file(rows))
    check(client, job)
    client.post(f"/import/{job.pk}/run/", {"mode": "valid"})
    job.refresh_from_db()
    errors = dict(job.outcomes.filter(outcome="error").values_list("row", "errors"))
    assert set(errors) == {2, 3, 4}
    assert "formula" in errors[2]["lead_name"][0] and "notes" in errors[3]
    assert not Lead.objects.exists()


def test_a_large_file_runs_as_jobs_in_batches(
    sales, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(imports, "SYNC_ROWS", 2)
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)
    rows = [["Person Name"], *([f"Lead {n}"] for n in range(5))]
    client = client_for(sales)
    job = upload(client, "Lead", csv_file(rows))
    with django_capture_on_commit_callbacks(execute=True):
        check(client, job)
    job.refresh_from_db()
    assert (job.status, job.processed, job.succeeded) == ("checked", 5, 5)
    assert ImportRow.objects.filter(job=job).count() == 5
    assert not Lead.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/import/{job.pk}/run/", {"mode": "valid"})
    job.refresh_from_db()
    assert (job.status, job.succeeded) == ("done", 5)
    assert Lead.objects.count() == 5
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}
    assert Job.objects.count() == 6  # 3 batches of the dry run, 3 of the import


def test_the_progress_is_polled_while_a_job_runs(sales, monkeypatch):
    monkeypatch.setattr(imports, "SYNC_ROWS", 2)
    rows = [["Person Name"], *([f"Lead {n}"] for n in range(5))]
    client = client_for(sales)
    job = upload(client, "Lead", csv_file(rows))
    check(client, job)  # queued: runs once the request commits (not here)
    page = client.get(f"/import/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "0 of 5 rows (0%)" in page
    fragment = client.get(f"/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<section class="card" id="import-progress"')


def test_a_date_and_time_cell_is_read_in_the_current_time_zone(sales):
    """An opportunity's Next Contact Date was passed on as text and failed with a TypeError
    ("could not be saved"); it is a date and time, refused clearly when it is not one."""
    from datetime import datetime

    from django.utils import timezone

    column = imports._IMPORTERS["Opportunity"].column("contact_date")
    assert column is not None and column.kind == "datetime"
    moment = imports.cell_value(column, "2031-05-04 09:30")
    assert moment == timezone.make_aware(datetime(2031, 5, 4, 9, 30))
    with pytest.raises(ValueError, match="not a date and time"):
        imports.cell_value(column, "next Tuesday")
