"""import_erpnext against a local server answering as ERPNext v15's REST API (recorded records,
pages, token auth, child tables read with parent=), counting the records on both sides."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from opportune.buying.models import Supplier, SupplierQuotation
from opportune.core.models import NamingSeries, SearchEntry
from opportune.crm.models import Contact, Customer, Lead, Opportunity, SalesStage
from opportune.erpnext.models import Checkpoint
from opportune.erpnext.tests.fakesite import KEY, SECRET, load_records, serve
from opportune.masters.models import Item, Territory
from opportune.selling.models import Quotation
from opportune.testing import make_user

pytestmark = pytest.mark.django_db

KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def people(db):
    admin = make_user("admin", is_superuser=True, is_staff=True)
    jane = make_user("jane")
    jane.email = "jane@wind.example"
    jane.save()
    bob = make_user("bob")
    bob.email = "Bob@Wind.example"
    bob.save()
    return admin, jane, bob


def run(site, tmp_path, *extra, page_size=2):
    report = tmp_path / "report.json"
    call_command(
        "import_erpnext",
        "--url", site.url, "--api-key", KEY, "--api-secret", SECRET,
        "--page-size", str(page_size), "--retries", "1", "--report", str(report),
        *extra,
    )  # fmt: skip
    return json.loads(report.read_text())


def test_a_site_comes_over_with_its_records_counted_on_both_sides(people, tmp_path):
    admin, jane, bob = people
    with serve() as site:
        report = run(site, tmp_path)
        opp_requests = site.requests_for("Opportunity")
        item_requests = site.requests_for("Opportunity Item")
    records = load_records()
    docs = report["doctypes"]
    assert report["finished"]
    # every record of ERPNext either came or is in the report with its reason
    for doctype, model in [
        ("Lead", Lead),
        ("Customer", Customer),
        ("Contact", Contact),
        ("Supplier", Supplier),
        ("Item", Item),
        ("Quotation", Quotation),
        ("Supplier Quotation", SupplierQuotation),
        ("Opportunity", Opportunity),
    ]:
        sent = len(records[doctype])
        assert docs[doctype]["read"] == sent, doctype
        assert docs[doctype]["created"] + docs[doctype]["skipped"] == sent, doctype
        assert model._default_manager.count() == docs[doctype]["created"], doctype
    assert Opportunity.objects.count() == 4
    assert docs["Opportunity"]["skipped_why"] == [
        {
            "reason": "its opportunity_from is Prospect: only Lead and Customer come over",
            "count": 1,
            "examples": ["CRM-OPP-2024-00004"],
        }
    ]
    # pages of 2, with each child table read per page of parents (never per document): a full
    # page of child rows (the first parents' two items) asks for the next
    assert [r["limit_start"] for r in opp_requests] == ["0", "2", "4"]
    assert [r["limit_start"] for r in item_requests] == ["0", "2", "0", "0"]
    assert all(r["parent"] == "Opportunity" for r in item_requests)

    won = Opportunity.objects.get(name="CRM-OPP-2024-00001")
    assert won.status == "Quotation" and won.lead_id == "CRM-LEAD-2024-00001"
    assert won.opportunity_owner == jane and won.owner == jane
    # ERPNext's amount is the user's figure, not the items' total: kept
    assert won.opportunity_amount == Decimal("5000") and won.total == Decimal("1025")
    assert [(i.item_code_id, i.qty, i.uom_id) for i in won.items.all()] == [
        ("SKU-001", Decimal("50"), "Nos"),
        ("SKU-002", Decimal("10"), "Box"),
    ]
    assert won.with_items and won.sales_stage_id == "Proposal-Price Quote"
    assert won.contact_person_id == "Asha Rao"
    assert won.mins_to_first_response == Decimal("90.00")
    # `modified` is in the site's time zone (System Settings: Asia/Kolkata)
    assert won.modified == dt.datetime(2024, 3, 5, 14, 22, 10, 123456, tzinfo=KOLKATA)
    assert won.creation == dt.datetime(2024, 3, 1, 11, 0, tzinfo=KOLKATA)

    lost = Opportunity.objects.get(name="CRM-OPP-2024-00002")
    assert lost.status == "Lost" and lost.customer_id == "Berg Consulting"
    assert sorted(lost.lost_reasons.values_list("name", flat=True)) == [
        "Too expensive",
        "Went with a competitor",
    ]
    assert list(lost.competitors.values_list("name", flat=True)) == ["Rival Corp"]
    assert lost.opportunity_owner == bob  # matched by email, whatever its case
    assert lost.base_opportunity_amount == Decimal("108600.0000")  # 1200 x 90.5
    # a Lost one whose only lost reason row is empty: kept Lost, the empty row reported
    empty = Opportunity.objects.get(name="CRM-OPP-2024-00003")
    assert empty.status == "Lost" and empty.lost_reasons.count() == 0
    assert empty.customer_id == "Nordic Wind A-S"  # "/" cannot be part of an address
    assert docs["Opportunity Lost Reason Detail of Opportunity"]["skipped_why"][0]["reason"] == (
        "its lost_reason is empty"
    )
    # an owner who is not a user here: the opportunity's owner left empty, its maker the runner
    unknown = Opportunity.objects.get(name="CRM-OPP-2024-00005")
    assert unknown.opportunity_owner is None and unknown.owner == admin
    notes = {n["note"] for n in docs["Opportunity"]["notes"]}
    assert "opportunity_owner ghost@wind.example is not a user here: left empty" in notes
    assert "owner ghost@wind.example is not a user here: set to admin" in notes

    quotation = Quotation.objects.get(name="SAL-QTN-2024-00001")
    assert (quotation.status, quotation.docstatus, quotation.opportunity_id) == (
        "Open",
        1,
        "CRM-OPP-2024-00001",
    )
    assert quotation.grand_total == Decimal("1209.5") and quotation.tax_rate == Decimal("18.000")
    assert (
        list(quotation.items.values_list("prevdoc_docname", flat=True))
        == ["CRM-OPP-2024-00001"] * 2
    )
    assert SupplierQuotation.objects.get().opportunity_id == "CRM-OPP-2024-00001"
    assert Contact.objects.get(name="Tom Berg-Berg Consulting").link_name == "Berg Consulting"
    berg = Customer.objects.get(name="Berg Consulting")
    assert berg.lead_name_id == "CRM-LEAD-2024-00002"
    # its opportunity came after it: linked at the end of the run
    assert berg.opportunity_name_id == "CRM-OPP-2024-00002"
    lead = Lead.objects.get(name="CRM-LEAD-2024-00003")
    assert lead.email_id == "" and lead.status == "Lead"  # an invalid address is not kept
    assert Territory.objects.get(name="Maharashtra").parent_territory_id == "India"

    # history through the import door, search entries, the naming series moved on
    record = won.history.get()
    assert (record.history_door, record.history_user) == ("import", admin)
    assert SearchEntry.objects.filter(doctype="Opportunity", name=won.name).exists()
    assert NamingSeries.objects.get(prefix="CRM-OPP-2024-").current == 5
    assert not Checkpoint.objects.exists()


def test_running_again_updates_instead_of_duplicating(people, tmp_path):
    records = load_records()
    with serve(records) as site:
        run(site, tmp_path)
        counts = (Opportunity.objects.count(), Lead.objects.count(), Quotation.objects.count())
        again = run(site, tmp_path)
        assert again["doctypes"]["Opportunity"]["unchanged"] == 4
        assert again["doctypes"]["Opportunity"]["created"] == 0
        # changed in ERPNext: a new stage, a new modified
        changed = copy.deepcopy(records["Opportunity"][0])
        changed.update(sales_stage="Negotiation/Review", modified="2024-04-01 10:00:00.000000")
        records["Opportunity"][0] = changed
        third = run(site, tmp_path)
    assert (Opportunity.objects.count(), Lead.objects.count(), Quotation.objects.count()) == counts
    assert third["doctypes"]["Opportunity"]["updated"] == 1
    assert third["doctypes"]["Opportunity"]["unchanged"] == 3
    won = Opportunity.objects.get(name="CRM-OPP-2024-00001")
    assert won.sales_stage_id == "Negotiation-Review" and won.version == 2
    assert won.items.count() == 2  # replaced, not added to
    assert [h.history_type for h in won.history.order_by("history_id")] == ["+", "~"]
    assert SalesStage.objects.filter(name="Negotiation-Review").count() == 1


def test_a_network_error_stops_the_run_and_the_next_goes_on_where_it_stopped(people, tmp_path):
    with serve() as site:
        site.fail("Opportunity", 2, times=2)  # each of the run's two tries
        site.fail("Opportunity", 0, times=1, how="drop")  # one dropped connection: retried
        with pytest.raises(CommandError, match="Opportunity"):
            run(site, tmp_path)
        assert Opportunity.objects.count() == 2
        checkpoint = Checkpoint.objects.get(doctype="Opportunity")
        assert (checkpoint.next_start, checkpoint.done) == (2, False)
        assert Checkpoint.objects.get(doctype="Lead").done
        site.log.clear()
        report = run(site, tmp_path)
        # the masters and parties are not read again; the opportunities from row 2
        assert site.requests_for("Lead") == []
        assert [r["limit_start"] for r in site.requests_for("Opportunity")] == ["2", "4"]
    assert report["finished"] and report["resumed"]["Opportunity"] == 2
    assert Opportunity.objects.count() == 4
    assert Quotation.objects.count() == 2
    assert not Checkpoint.objects.exists()


def test_a_refused_token_is_said_and_nothing_comes(people, tmp_path):
    with serve() as site, pytest.raises(CommandError, match="refused the API key"):
        call_command(
            "import_erpnext", "--url", site.url, "--api-key", "x", "--api-secret", "y",
            "--time-zone", "UTC",
        )  # fmt: skip
    assert not Lead.objects.exists()


def test_a_document_made_here_is_not_overwritten(people, tmp_path):
    admin, jane, _ = people
    from opportune.testing import make_lead

    mine = make_lead(jane, lead_name="Made here")
    Lead.objects.filter(pk=mine.pk).update(name="CRM-LEAD-2024-00003")
    with serve() as site:
        report = run(site, tmp_path)
    assert Lead.objects.get(name="CRM-LEAD-2024-00003").lead_name == "Made here"
    assert report["doctypes"]["Lead"]["skipped_why"][0]["reason"] == (
        "a document of this name was made here, not imported: it is kept"
    )
