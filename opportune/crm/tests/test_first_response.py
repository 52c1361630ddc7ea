"""The first response (crm.services.first_response): set once from the opportunity's creation,
on the wall clock and in business minutes; later calls change nothing; two senders at the same
moment cannot both set it (PostgreSQL)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from opportune.core.timeline import timeline_for
from opportune.crm import services as crm
from opportune.crm.models import CRMSettings, Opportunity
from opportune.crm.services.first_response import FIRST_RESPONSE, record_first_response
from opportune.testing import THREADS, run_in_threads

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=BERLIN)


def make_opportunity(by: User, created: datetime) -> Opportunity:
    CRMSettings.objects.filter(pk=1).update(time_zone="Europe/Berlin")
    customer = crm.create_customer(data={"customer_name": "Babbage Ltd"}, by=by)
    return crm.create_opportunity(
        data={"opportunity_from": "Customer", "party_name": customer.name}, by=by, now=created
    )


@pytest.mark.django_db
def test_first_response_is_recorded_once(sales):
    opp = make_opportunity(sales, at("2026-12-07", "10:00"))  # a Monday
    version = opp.version

    assert record_first_response(opp, at=at("2026-12-07", "12:30:30"), by=sales) is True

    stored = Opportunity.objects.get(pk=opp.pk)
    assert stored.first_responded_on == at("2026-12-07", "12:30:30")
    assert stored.mins_to_first_response == Decimal("150.50")
    assert stored.business_mins_to_first_response == Decimal("150.50")
    assert (opp.mins_to_first_response, opp.first_responded_on) == (
        Decimal("150.50"),
        stored.first_responded_on,
    )
    # a system clock: the version a user holds stays good
    assert stored.version == version

    # later e-mails change nothing
    assert record_first_response(stored, at=at("2026-12-08", "09:00"), by=sales) is False
    again = Opportunity.objects.get(pk=opp.pk)
    assert again.first_responded_on == stored.first_responded_on
    assert again.mins_to_first_response == Decimal("150.50")


@pytest.mark.django_db
def test_business_minutes_skip_nights_weekends_and_holidays(sales):
    CRMSettings.objects.filter(pk=1).update(
        holidays=[{"date": "2026-12-14", "description": "Closed"}]
    )
    opp = make_opportunity(sales, at("2026-12-11", "16:00"))  # Friday, an hour before closing
    assert record_first_response(opp, at=at("2026-12-15", "10:00"))  # Tuesday after a holiday
    stored = Opportunity.objects.get(pk=opp.pk)
    assert stored.mins_to_first_response == Decimal(4 * 24 * 60 - 6 * 60)
    assert stored.business_mins_to_first_response == Decimal(120)


@pytest.mark.django_db
def test_history_and_timeline_show_the_first_response(sales):
    opp = make_opportunity(sales, at("2026-12-07", "10:00"))
    record_first_response(opp, at=at("2026-12-07", "11:00"), by=sales)
    record = Opportunity.history.filter(name=opp.pk).order_by("-history_id").first()
    assert record.history_change_reason == FIRST_RESPONSE
    assert record.history_user == sales
    assert record.mins_to_first_response == Decimal("60.00")
    change = next(e for e in timeline_for("Opportunity", opp.pk) if e.kind == "change")
    fields = {c["field"] for c in change.data["changes"]}
    assert {
        "first_responded_on",
        "mins_to_first_response",
        "business_mins_to_first_response",
    } <= fields
    assert change.user == sales.username


@pytest.mark.django_db
def test_edge_instants(sales):
    opp = make_opportunity(sales, at("2026-12-07", "10:00"))
    with pytest.raises(ValueError):
        record_first_response(opp, at=datetime(2026, 12, 7, 11, 0))  # naive
    # a clock behind the creation never makes a negative wait
    assert record_first_response(opp, at=at("2026-12-07", "09:59"))
    stored = Opportunity.objects.get(pk=opp.pk)
    assert stored.mins_to_first_response == 0
    assert stored.business_mins_to_first_response == 0


@pytest.mark.django_db
def test_a_user_edit_does_not_undo_the_first_response(sales):
    opp = make_opportunity(sales, at("2026-12-07", "10:00"))
    held = Opportunity.objects.get(pk=opp.pk)  # a user read it before the e-mail went out
    record_first_response(opp, at=at("2026-12-07", "10:30"))
    crm.update_opportunity(held, data={"title": "Engines"}, version=held.version, by=sales)
    stored = Opportunity.objects.get(pk=opp.pk)
    assert stored.title == "Engines"
    assert stored.mins_to_first_response == Decimal("30.00")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_set_it_once():
    seller = User.objects.create_user(username="seller", password="pw")
    opp = make_opportunity(seller, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))

    def work(thread_no: int) -> list[str]:
        sent = datetime(2026, 12, 7, 10, 0, tzinfo=UTC) + timedelta(minutes=thread_no)
        with transaction.atomic():  # the sender's own transaction, held a little after
            won = record_first_response(Opportunity.objects.get(pk=opp.pk), at=sent)
            time.sleep(0.2)
        return [str(thread_no)] if won else []

    winners = run_in_threads(work)

    assert len(winners) == 1
    stored = Opportunity.objects.get(pk=opp.pk)
    assert stored.mins_to_first_response == Decimal(60 + int(winners[0]))
    assert (
        Opportunity.history.filter(name=opp.pk, history_change_reason=FIRST_RESPONSE).count() == 1
    )
    assert THREADS > 1
