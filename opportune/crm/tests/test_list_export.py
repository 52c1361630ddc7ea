"""The opportunity list exports what it shows (its filters, search and order; only what the
user may see) as CSV and XLSX, streamed, with formulas made harmless (core.export)."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from openpyxl import load_workbook

from opportune.core.export import csv_lines, xlsx_response
from opportune.crm.models import Opportunity
from opportune.testing import body_of, client_for, make_opportunity, seed_documents

URL = reverse("crm:opportunity_list")


def exported(user, **params) -> list[list[str]]:
    response = client_for(user).get(URL, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert 'filename="opportunities.csv"' in response["Content-Disposition"]
    text = body_of(response).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_holds_the_filtered_rows_in_the_lists_order(manager):
    first = make_opportunity(manager, title="First", opportunity_amount="1200.50")
    second = make_opportunity(manager, title="Second", probability=40)
    lost = make_opportunity(manager, title="Gone")
    Opportunity.objects.filter(pk=lost.pk).update(status=Opportunity.Status.LOST)

    rows = exported(manager, status="Open", ordering="title")

    assert rows[0][:5] == ["ID", "Title", "Opportunity From", "Party", "Status"]
    assert [r[1] for r in rows[1:]] == ["First", "Second"]
    by_title = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_title["First"]["ID"] == first.name
    assert by_title["First"]["Opportunity Amount"] == "1200.50"
    assert by_title["Second"]["Probability (%)"] == "40.00"
    assert by_title["Second"]["Party"] == second.party_name
    assert [r[1] for r in exported(manager, q="Gone")[1:]] == ["Gone"]


def test_a_sales_user_exports_only_what_they_may_see(sales, sales2):
    mine = make_opportunity(sales, title="Mine")
    make_opportunity(sales2, title="Theirs")
    assert [r[0] for r in exported(sales)[1:]] == [mine.name]


def test_formulas_are_neutralised_in_both_formats(manager):
    make_opportunity(manager, title='=HYPERLINK("http://evil.example","click")')
    rows = exported(manager)
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","click")'

    response = client_for(manager).get(URL, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(body_of(response)), read_only=True)
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[0][0] == "ID"
    assert sheet[1][1] == '\'=HYPERLINK("http://evil.example","click")'


def test_the_list_page_links_its_exports_with_its_filters(manager):
    make_opportunity(manager)
    page = client_for(manager).get(URL, {"status": "Open", "cursor": "abc"}).content.decode()
    assert 'href="?status=Open&amp;format=csv"' in page
    assert 'href="?status=Open&amp;format=xlsx"' in page


def _rows(n: int):
    for i in range(n):
        yield (f"CRM-OPP-2026-{i:07d}", f"Deal {i}", "Customer", f"Party {i}", "Open", 1250.5)


def test_a_large_export_is_written_in_bounded_memory():
    """200,000 rows (about 13 MB of CSV) are written holding a few lines at a time."""
    tracemalloc.start()
    try:
        size = sum(
            len(line) for line in csv_lines(["ID", "Title", "a", "b", "c", "d"], _rows(200_000))
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 10_000_000
    assert peak < 1_000_000, peak


def test_a_large_workbook_is_spooled_to_disk():
    tracemalloc.start()
    try:
        response = xlsx_response(["ID", "Title", "a", "b", "c", "d"], _rows(50_000), "big", "Big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(body_of(response)) > 1_000_000  # a file on disk, read as it is sent
    assert peak < 15_000_000, peak


LISTS = {
    "/crm/leads/": "Lead",
    "/crm/customers/": "Customer",
    "/buying/suppliers/": "Supplier",
    "/selling/quotations/": "Quotation",
    "/selling/sales-orders/": "Sales Order",
    "/buying/supplier-quotations/": "Supplier Quotation",
    "/buying/requests-for-quotation/": "Request for Quotation",
}


@pytest.fixture
def seeded(db):
    root = User.objects.create_superuser("root", "root@example.com", "pw")
    seed_documents(root)
    return root


@pytest.mark.parametrize("url", list(LISTS))
def test_every_list_exports_its_rows(seeded, url):
    page = client_for(seeded).get(url)
    assert page.status_code == 200, url
    assert 'data-export="csv"' in page.content.decode()
    for fmt in ("csv", "xlsx"):
        response = client_for(seeded).get(url, {"format": fmt})
        assert response.status_code == 200 and response.streaming, (url, fmt)
    text = body_of(client_for(seeded).get(url, {"format": "csv"})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "ID" and len(rows) >= 2, (url, rows)
    # the filters hold: a search matching nothing exports the header alone
    empty = body_of(client_for(seeded).get(url, {"format": "csv", "q": "no-such-thing-xyz"}))
    assert len(list(csv.reader(io.StringIO(empty.decode("utf-8-sig"))))) == 1, url
