"""import_erpnext --from-dir: the files ERPNext's Data Export tool writes (all child tables, with
data; dates in the site's date format, names quoted, child rows on the lines below their
record), read by the same mapping as the REST API."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from opportune.crm.models import Customer, Lead, Opportunity
from opportune.masters.models import Item
from opportune.testing import make_user

pytestmark = pytest.mark.django_db

CSV = Path(__file__).parent / "fixtures" / "csv"


def test_the_data_export_files_come_over(tmp_path):
    make_user("admin", is_superuser=True)
    jane = make_user("jane")
    jane.email = "jane@wind.example"
    jane.save()
    directory = tmp_path / "export"
    shutil.copytree(CSV, directory)
    report_file = tmp_path / "report.json"
    args = ["--from-dir", str(directory), "--page-size", "2", "--report", str(report_file)]
    call_command("import_erpnext", *args, "--time-zone", "Asia/Kolkata")
    report = json.loads(report_file.read_text())["doctypes"]
    assert (Item.objects.filter(name__startswith="S").count(), Lead.objects.count()) == (3, 3)
    assert Customer.objects.count() == 2
    assert Opportunity.objects.count() == 4  # the one from a Prospect is reported, not imported
    assert report["Opportunity"]["skipped"] == 1

    won = Opportunity.objects.get(name="CRM-OPP-2024-00001")
    assert won.transaction_date == dt.date(2024, 3, 1)  # written 01-03-2024
    assert won.expected_closing == dt.date(2024, 4, 30)
    assert won.opportunity_owner == jane and won.opportunity_amount == Decimal("5000")
    assert [(i.item_code_id, i.qty) for i in won.items.all()] == [
        ("SKU-001", Decimal("50")),
        ("SKU-002", Decimal("10")),
    ]
    lost = Opportunity.objects.get(name="CRM-OPP-2024-00002")
    assert sorted(lost.lost_reasons.values_list("name", flat=True)) == [
        "Too expensive",
        "Went with a competitor",
    ]
    assert list(lost.competitors.values_list("name", flat=True)) == ["Rival Corp"]
    # the export has no contacts: the link is left empty, and the report says so
    assert won.contact_person is None
    notes = {n["note"] for n in report["Opportunity"]["notes"]}
    assert "contact_person Asha Rao was not imported: left empty" in notes

    # again: updated, not duplicated (the export has no `modified` to tell what changed)
    call_command("import_erpnext", *args, "--time-zone", "Asia/Kolkata")
    again = json.loads(report_file.read_text())["doctypes"]
    assert (again["Opportunity"]["created"], again["Opportunity"]["updated"]) == (0, 4)
    assert Opportunity.objects.count() == 4 and won.items.count() == 2


def test_a_file_that_is_not_a_data_export_is_refused(tmp_path):
    make_user("admin", is_superuser=True)
    (tmp_path / "Lead.csv").write_text("name,lead_name\nL1,Ada\n")
    with pytest.raises(CommandError, match="not a Data Export file"):
        call_command("import_erpnext", "--from-dir", str(tmp_path), "--time-zone", "UTC")
    assert not Lead.objects.exists()
