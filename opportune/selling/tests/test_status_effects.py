"""How quotations and orders move the opportunity and the lead (ERPNEXT_BEHAVIOUR.md 2.3-2.5,
12.1, 12.6, 12.7, 12.11 and decision 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opportune.core.documents import set_status_in_batches
from opportune.core.errors import ConflictError
from opportune.crm import services as crm
from opportune.crm.models import Lead, Opportunity
from opportune.selling import services
from opportune.selling.models import Quotation
from opportune.selling.tasks import expire_quotations_daily
from opportune.selling.tests.helpers import submitted_quotation
from opportune.testing import make_item, make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def _status(opp) -> str:
    return Opportunity.objects.get(pk=opp.pk).status


def _lead_status(lead) -> str:
    return Lead.objects.get(pk=lead.pk).status


def _qstatus(q) -> str:
    return Quotation.objects.get(pk=q.pk).status


@pytest.fixture
def lead_opp(sales):
    make_item("W1", rate="10")
    lead = make_lead(sales)
    opp = make_opportunity(sales, lead, items=[{"item_code": "W1", "qty": 4}])
    assert _lead_status(lead) == "Opportunity"
    return lead, opp


def test_a_draft_changes_nothing_submit_moves_opportunity_and_lead(sales, lead_opp):
    lead, opp = lead_opp
    q = services.make_quotation_from_opportunity(opp, by=sales)
    assert (_status(opp), _lead_status(lead)) == ("Open", "Opportunity")
    services.submit_quotation(q, by=sales)
    assert _qstatus(q) == "Open"
    assert (_status(opp), _lead_status(lead)) == ("Quotation", "Quotation")


def test_quotation_without_items_on_opportunity_without_items(sales):
    """ERPNext test 12.1: opportunity without items, quotation gets an item, submit."""
    make_item("W1")
    opp = make_opportunity(sales)
    q = services.make_quotation_from_opportunity(opp, by=sales)
    q = services.update_quotation(
        q, data={"items": [{"item_code": "W1"}]}, version=q.version, by=sales
    )
    services.submit_quotation(q, by=sales)
    assert _status(opp) == "Quotation"


def test_cancel_returns_to_open_unless_another_quotation_remains(sales, lead_opp):
    lead, opp = lead_opp
    first = submitted_quotation(opp, sales)
    second = submitted_quotation(opp, sales)
    services.cancel_quotation(first, by=sales)
    assert _qstatus(first) == "Cancelled"
    assert (_status(opp), _lead_status(lead)) == ("Quotation", "Quotation")
    services.cancel_quotation(second, by=sales)
    assert (_status(opp), _lead_status(lead)) == ("Open", "Opportunity")


def test_declare_lost_marks_opportunity_lost_with_the_reasons(sales, lead_opp):
    lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    services.declare_quotation_lost(
        q, lost_reasons=["Too expensive"], competitors=[], detail="Budget too high", by=sales
    )
    q = Quotation.objects.get(pk=q.pk)
    assert q.status == "Lost" and q.order_lost_reason == "Budget too high"
    assert list(q.lost_reasons.values_list("pk", flat=True)) == ["Too expensive"]
    opp = Opportunity.objects.get(pk=opp.pk)
    assert opp.status == "Lost"
    assert list(opp.lost_reasons.values_list("pk", flat=True)) == ["Too expensive"]
    assert opp.order_lost_reason == "Budget too high"
    assert _lead_status(lead) == "Lost Quotation"
    # cancelling the lost quotation reopens the opportunity (ERPNext test 12.7)
    services.cancel_quotation(q, by=sales)
    assert _status(opp) == "Open"
    assert Quotation.objects.get(pk=q.pk).lost_reasons.count() == 0


def test_declare_lost_while_another_quotation_is_active_keeps_quotation(sales, lead_opp):
    lead, opp = lead_opp
    lost = submitted_quotation(opp, sales)
    submitted_quotation(opp, sales)
    services.declare_quotation_lost(lost, lost_reasons=["Timing"], by=sales)
    assert _qstatus(lost) == "Lost"
    assert (_status(opp), _lead_status(lead)) == ("Quotation", "Quotation")
    assert Opportunity.objects.get(pk=opp.pk).lost_reasons.count() == 0


def test_order_converts_and_cancelling_it_reverts(sales, lead_opp):
    lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    order = services.make_sales_order_from_quotation(q, by=sales)
    assert (_qstatus(q), _status(opp)) == ("Open", "Quotation")
    order = services.submit_sales_order(order, by=sales)
    assert order.status == "To Deliver and Bill"
    assert (_qstatus(q), _status(opp), _lead_status(lead)) == ("Ordered", "Converted", "Converted")
    services.cancel_sales_order(order, by=sales)
    assert (_qstatus(q), _status(opp)) == ("Open", "Quotation")
    # the lead has its customer now, so it stays Converted (ERPNext's lead status map)
    assert _lead_status(lead) == "Converted"


def test_partial_order_is_partially_ordered_and_counts_as_converted(sales, lead_opp):
    _lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    order = services.make_sales_order_from_quotation(q, by=sales)
    row = order.items.get()
    order = services.update_sales_order(
        order,
        data={"items": [{"id": row.pk, "item_code": "W1", "qty": 1, "rate": "10"}]},
        version=order.version,
        by=sales,
    )
    assert order.items.get().quotation_item_id == row.quotation_item_id
    services.submit_sales_order(order, by=sales)
    assert (_qstatus(q), _status(opp)) == ("Partially Ordered", "Converted")
    rest = services.make_sales_order_from_quotation(q, by=sales)
    assert rest.items.get().qty == 3
    services.submit_sales_order(rest, by=sales)
    assert _qstatus(q) == "Ordered"


def test_expiry_job_expires_and_reopens_the_opportunity(sales, lead_opp):
    lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    assert q.valid_till is not None
    today = q.valid_till + dt.timedelta(days=1)
    assert services.expire_quotations(today=q.valid_till) == 0
    assert services.expire_quotations(today=today) == 1
    assert (_qstatus(q), _status(opp), _lead_status(lead)) == ("Expired", "Open", "Opportunity")
    # idempotent
    assert services.expire_quotations(today=today) == 0
    assert _status(opp) == "Open"
    # an expired quotation is inactive: recomputing keeps Open; declaring lost is allowed
    crm.recompute_opportunity_status(Opportunity.objects.get(pk=opp.pk), by=None)
    assert _status(opp) == "Open"


def test_expiry_shows_on_the_quotation_timeline_and_bumps_its_version(sales, lead_opp, api_as):
    _lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    version = Quotation.objects.get(pk=q.pk).version
    assert q.valid_till is not None
    services.expire_quotations(today=q.valid_till + dt.timedelta(days=1))
    assert Quotation.objects.get(pk=q.pk).version == version + 1
    timeline = api_as(sales).get(f"quotations/{q.name}/timeline").json()
    newest = timeline[0]
    assert (newest["kind"], newest["user"], newest["data"]["changes"]) == (
        "change",
        None,
        [{"field": "status", "old": "Open", "new": "Expired"}],
    )
    # a client still holding the version it read before the job is refused
    r = api_as(sales).post(f"quotations/{q.name}/cancel", {"version": version})
    assert r.status_code == 409
    assert Quotation.objects.get(pk=q.pk).status == "Expired"


def test_expiry_goes_in_batches_and_each_quotation_keeps_its_history(sales, lead_opp):
    _lead, opp = lead_opp
    quotations = [submitted_quotation(opp, sales) for _ in range(5)]
    day = max(q.valid_till or dt.date.min for q in quotations) + dt.timedelta(days=1)
    due = Quotation.objects.filter(status="Open", valid_till__lt=day)
    assert (
        set_status_in_batches(
            due, status="Expired", now=timezone.now(), reason="test", batch_size=2
        )
        == 5
    )
    for q in quotations:
        assert Quotation.objects.get(pk=q.pk).status == "Expired"
        assert q.history.filter(status="Expired").count() == 1


def test_expiry_job_repairs_an_opportunity_left_behind_by_a_crash(sales, lead_opp):
    _lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    Quotation.objects.filter(pk=q.pk).update(status="Expired")  # crashed after the UPDATE
    assert _status(opp) == "Quotation"
    assert services.expire_quotations(today=q.valid_till) == 0
    assert _status(opp) == "Open"


def test_a_closed_opportunity_stays_closed(sales, lead_opp):
    _lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    assert q.valid_till is not None
    crm.set_opportunity_status(
        Opportunity.objects.get(pk=opp.pk),
        status="Closed",
        version=Opportunity.objects.get(pk=opp.pk).version,
        by=sales,
    )
    services.expire_quotations(today=q.valid_till + dt.timedelta(days=1))
    q.refresh_from_db()
    assert q.status == "Expired"  # the job did run over it
    assert _status(opp) == "Closed"


def test_scheduled_job_runs_the_service_for_its_slot_s_day(sales, lead_opp):
    _lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    Quotation.objects.filter(pk=q.pk).update(valid_till=dt.date(2000, 1, 1))
    # The slot of 2 January 2000, 00:10 in the company's zone (UTC): past valid till the day before
    assert expire_quotations_daily(scheduled_for="2000-01-01T23:10:00+00:00") == 0
    assert (_qstatus(q), _status(opp)) == ("Open", "Quotation")
    assert expire_quotations_daily(scheduled_for="2000-01-02T00:10:00+00:00") == 1
    assert (_qstatus(q), _status(opp)) == ("Expired", "Open")


def test_opportunity_cannot_be_declared_lost_while_quotation_is_active(sales, lead_opp):
    _lead, opp = lead_opp
    submitted_quotation(opp, sales)
    with pytest.raises(ConflictError, match="quotation"):
        crm.declare_opportunity_lost(
            Opportunity.objects.get(pk=opp.pk), lost_reasons=["Timing"], by=sales
        )
    assert _status(opp) == "Quotation"


def test_timeline_notes_on_the_opportunity(sales, lead_opp, api_as):
    _lead, opp = lead_opp
    q = submitted_quotation(opp, sales)
    summaries = [
        e["summary"] for e in api_as(sales).get(f"opportunities/{opp.name}/timeline").json()
    ]
    assert f"Quotation {q.name} submitted." in summaries
    assert f"Quotation {q.name} made from this opportunity." in summaries


def test_a_quotation_is_not_made_from_an_opportunity_lost_meanwhile(sales, lead_opp):
    """The page or API read the opportunity Open; it was declared lost before the quotation was
    made: the status is read again under a lock, so no draft quotation lands on a Lost deal."""
    _lead, opp = lead_opp
    stale = Opportunity.objects.get(pk=opp.pk)
    crm.declare_opportunity_lost(opp, lost_reasons=["Too expensive"], by=sales)
    with pytest.raises(ConflictError, match="is Lost"):
        services.make_quotation_from_opportunity(stale, by=sales)
    assert not Quotation.objects.exists()
    assert _status(opp) == Opportunity.Status.LOST
