"""Issue 9 item 5: an opportunity's next contact is one calendar event for the contact person,
moved, removed and dropped with the opportunity; its reminder fires exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from opportune.activities.models import NEXT_CONTACT, Event
from opportune.activities.services import send_due_reminders
from opportune.core.errors import ValidationError
from opportune.crm import services as crm
from opportune.crm.models import Opportunity
from opportune.crm.status import write_status_change
from opportune.notifications.models import Notification
from opportune.selling import services as selling
from opportune.testing import make_item, make_opportunity

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LATER = dt.datetime(2026, 12, 9, 14, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _events(opportunity: Opportunity) -> list[Event]:
    return list(
        Event.objects.filter(reference_doctype="Opportunity", reference_name=opportunity.name)
    )


def _with_contact(by, who, when=LATER, **extra) -> Opportunity:
    with time_machine.travel(NOW, tick=False):
        return make_opportunity(by, now=NOW, contact_by=who.username, contact_date=when, **extra)


def test_contact_fields_make_one_event_for_the_contact_person(sales, sales2):
    opp = _with_contact(sales, sales2, to_discuss="The renewal")
    [event] = _events(opp)
    assert event.owner == sales2
    assert event.starts_on == LATER
    assert event.remind_at == LATER
    assert event.reminded_at is None
    assert event.source == NEXT_CONTACT
    assert event.subject == "Contact customer Babbage Ltd"
    assert event.description == (
        f"Contact customer Babbage Ltd ({opp.name}). By: sales2.\nTo discuss: The renewal"
    )
    assert event.sequence == 0


def test_no_event_without_both_fields(sales):
    with time_machine.travel(NOW, tick=False):
        opp = make_opportunity(sales, now=NOW, contact_date=LATER)
    assert _events(opp) == []


def test_changing_the_date_or_person_moves_the_same_event(sales, sales2):
    opp = _with_contact(sales, sales2)
    [before] = _events(opp)
    moved = LATER + dt.timedelta(days=1)
    with time_machine.travel(NOW, tick=False):
        opp = crm.update_opportunity(
            opp, data={"contact_date": moved}, version=opp.version, by=sales, now=NOW
        )
        [after] = _events(opp)
        assert (after.pk, after.uid) == (before.pk, before.uid)
        assert (after.starts_on, after.remind_at, after.sequence) == (moved, moved, 1)
        opp = crm.update_opportunity(
            opp, data={"contact_by": sales.username}, version=opp.version, by=sales, now=NOW
        )
    [after] = _events(opp)
    assert (after.pk, after.owner, after.sequence) == (before.pk, sales, 2)


def test_editing_other_fields_leaves_the_event_alone(sales, sales2):
    opp = _with_contact(sales, sales2)
    with time_machine.travel(NOW, tick=False):
        crm.update_opportunity(opp, data={"title": "New"}, version=opp.version, by=sales, now=NOW)
    [event] = _events(opp)
    assert (event.sequence, event.version) == (0, 1)


@pytest.mark.parametrize("field", ["contact_date", "contact_by"])
def test_clearing_either_field_removes_the_event(sales, sales2, field):
    opp = _with_contact(sales, sales2)
    with time_machine.travel(NOW, tick=False):
        crm.update_opportunity(opp, data={field: None}, version=opp.version, by=sales, now=NOW)
    assert _events(opp) == []


def test_a_past_date_is_refused_and_nothing_changes(sales, sales2):
    opp = _with_contact(sales, sales2)
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        crm.update_opportunity(
            opp,
            data={"contact_date": NOW - dt.timedelta(hours=1)},
            version=opp.version,
            by=sales,
            now=NOW,
        )
    assert refused.value.fields == {"contact_date": ["Next Contact Date cannot be in the past."]}
    [event] = _events(opp)
    assert (event.starts_on, event.sequence) == (LATER, 0)


def test_an_unchanged_past_date_is_kept_on_other_edits(sales, sales2):
    opp = _with_contact(sales, sales2)
    after = LATER + dt.timedelta(days=3)
    with time_machine.travel(after, tick=False):
        opp = crm.update_opportunity(
            opp, data={"title": "Later edit"}, version=opp.version, by=sales, now=after
        )
    assert opp.title == "Later edit"
    [event] = _events(opp)
    assert event.starts_on == LATER


def test_declaring_lost_drops_the_future_event(sales, sales2):
    opp = _with_contact(sales, sales2)
    with time_machine.travel(NOW, tick=False):
        crm.declare_opportunity_lost(opp, lost_reasons=["Too expensive"], by=sales)
    assert _events(opp) == []


def test_closing_drops_the_future_event_and_reopening_brings_it_back(sales, sales2):
    opp = _with_contact(sales, sales2)
    with time_machine.travel(NOW, tick=False):
        opp = crm.set_opportunity_status(opp, status="Closed", version=opp.version, by=sales)
        assert _events(opp) == []
        crm.reopen_opportunity(opp, by=sales)
    [event] = _events(opp)
    assert event.starts_on == LATER


def test_converted_keeps_a_past_event(sales, sales2):
    opp = _with_contact(sales, sales2)
    after = LATER + dt.timedelta(hours=1)
    locked = Opportunity.objects.get(pk=opp.pk)
    assert write_status_change(locked, Opportunity.Status.CONVERTED, by=None, now=after)
    [event] = _events(opp)
    assert event.starts_on == LATER


def test_deleting_the_opportunity_removes_its_event(sales, sales2):
    opp = _with_contact(sales, sales2)
    crm.delete_opportunity(opp, version=opp.version, by=sales)
    assert Event.objects.count() == 0


def test_an_inactive_contact_person_is_refused(sales, sales2):
    sales2.is_active = False
    sales2.save()
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        make_opportunity(sales, now=NOW, contact_by=sales2.username, contact_date=LATER)
    assert "contact_by" in refused.value.fields
    assert Event.objects.count() == 0


def _reminders() -> list[tuple[int, str, str]]:
    return list(
        Notification.objects.filter(kind="reminder")
        .order_by("pk")
        .values_list("user_id", "subject", "key")
    )


def test_the_reminder_fires_once_at_the_time_then_again_after_a_move(sales, sales2):
    opp = _with_contact(sales, sales2)
    [event] = _events(opp)
    assert send_due_reminders(now=LATER - dt.timedelta(minutes=1)) == 0
    assert send_due_reminders(now=LATER) == 1
    assert send_due_reminders(now=LATER + dt.timedelta(minutes=1)) == 0
    expected = [(sales2.pk, "Reminder: Contact customer Babbage Ltd", f"reminder:{event.pk}:0")]
    assert _reminders() == expected
    moved = LATER + dt.timedelta(days=2)
    with time_machine.travel(LATER + dt.timedelta(minutes=5), tick=False):
        crm.update_opportunity(opp, data={"contact_date": moved}, version=opp.version, by=sales)
    assert send_due_reminders(now=moved) == 1
    assert send_due_reminders(now=moved) == 0
    assert _reminders()[1:] == [
        (sales2.pk, "Reminder: Contact customer Babbage Ltd", f"reminder:{event.pk}:1")
    ]


def test_a_reminder_missed_while_the_worker_was_down_fires_once_on_the_next_run(sales, sales2):
    opp = _with_contact(sales, sales2)
    [event] = _events(opp)
    outage_over = LATER + dt.timedelta(days=3)
    assert send_due_reminders(now=outage_over) == 1
    assert send_due_reminders(now=outage_over) == 0
    assert _reminders() == [
        (sales2.pk, "Reminder: Contact customer Babbage Ltd", f"reminder:{event.pk}:0")
    ]
    notification = Notification.objects.get()
    assert notification.link == f"/crm/opportunities/{opp.name}/"
    assert (notification.reference_type, notification.reference_name) == (
        "Opportunity",
        opp.name,
    )
    event.refresh_from_db()
    assert event.reminded_at == outage_over


def test_a_dropped_event_never_reminds(sales, sales2):
    opp = _with_contact(sales, sales2)
    with time_machine.travel(NOW, tick=False):
        crm.set_opportunity_status(opp, status="Closed", version=opp.version, by=sales)
    assert send_due_reminders(now=LATER) == 0
    assert _reminders() == []


def test_conversion_by_a_sales_order_drops_the_future_event(sales, sales2):
    with time_machine.travel(NOW, tick=False):
        make_item("W1", rate="10")
        opp = _with_contact(sales, sales2, items=[{"item_code": "W1", "qty": 1}])
        quotation = selling.submit_quotation(
            selling.make_quotation_from_opportunity(opp, by=sales), by=sales
        )
        assert [e.starts_on for e in _events(opp)] == [LATER]  # Quotation keeps it
        selling.submit_sales_order(
            selling.make_sales_order_from_quotation(quotation, by=sales), by=sales
        )
    opp.refresh_from_db()
    assert opp.status == "Converted"
    assert _events(opp) == []
