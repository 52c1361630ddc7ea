"""A sales user imports leads from a CSV file with one bad row (decision 0030), in a real
browser: finds Import in the navigation, sees the columns' mapping suggested, runs the dry run
and sees the bad row's error naming its field, imports only the valid rows, follows the
progress to the end, downloads each row's outcome and finds an imported lead in the list."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from opportune.core.models import ImportJob
from opportune.crm.models import Lead
from opportune.testing import RESULTS, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROWS = 150  # more than a request runs itself: the passes run as jobs with a progress bar


def _file(tmp_path):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Person Name", "Organization Name", "Email"])
    for n in range(1, ROWS + 1):
        email = "not an address" if n == 7 else f"person{n}@journey.example"
        writer.writerow([f"Journey Person {n}", f"Journey Org {n % 5}", email])
    path = tmp_path / "leads.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_import_leads_with_a_bad_row_through_the_pages(page: Page, sales, tmp_path):
    log_in(page, "sales")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import", exact=True)).to_be_visible()
    page.get_by_label("What to import").select_option("Lead")
    page.get_by_label("File", exact=True).set_input_files(_file(tmp_path))
    page.get_by_role("button", name="Upload").click()

    # the mapping is suggested from the header
    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    expect(page.get_by_label("Person Name")).to_have_value("lead_name")
    expect(page.get_by_label("Organization Name")).to_have_value("company_name")
    expect(page.get_by_label("Email")).to_have_value("email_id")
    page.get_by_role("button", name="Check the rows (dry run)").click()

    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("Dry run", timeout=60_000)
    expect(progress).to_contain_text(f"{ROWS - 1} documents can be imported")
    errors = page.locator("#import-errors")
    expect(errors.locator("tr", has_text="email_id")).to_contain_text("8")  # file row 8
    expect(errors).to_contain_text("valid email address")
    assert not Lead.objects.exists()

    page.get_by_label("Only the valid rows").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(progress).to_contain_text(f"Imported {ROWS - 1} documents", timeout=60_000)
    expect(progress).to_contain_text("1 with errors were left out")
    page.screenshot(path=str(RESULTS / "import-done.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download each row's outcome (CSV)").click()
    lines = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert lines[0] == ["Row", "Outcome", "Name", "Errors"]
    assert len(lines) == ROWS + 1
    assert lines[7][:2] == ["8", "error"] and "email_id" in lines[7][3]
    assert lines[1][1] == "created" and lines[1][2].startswith("CRM-LEAD-")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.goto("/crm/leads/?q=Journey+Person+12")
    expect(page.get_by_role("link", name="Journey Person 12", exact=True)).to_be_visible()
    job = ImportJob.objects.get()
    assert (job.status, job.succeeded, job.failed) == ("done", ROWS - 1, 1)
    assert Lead.objects.count() == ROWS - 1
