"""Auto-close (ERPNEXT_BEHAVIOUR.md decision 5): Replied opportunities whose party stays silent
for CRM Settings ``close_opportunity_after_days`` since they became Replied are closed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from opportune.activities.models import NEXT_CONTACT, Event
from opportune.core.errors import ValidationError
from opportune.core.jobs import enqueue_job
from opportune.core.models import Comment, Job
from opportune.core.timeline import timeline_for
from opportune.crm import services as crm
from opportune.crm.models import CRMSettings, Opportunity
from opportune.crm.services.auto_close import CHANGE_REASON, close_silent_opportunities
from opportune.notifications.models import Notification
from opportune.testing import at, client_for, make_customer, make_opportunity

S = Opportunity.Status
REPLIED_AT = at(2026, 11, 10, 9)
NOTE = (
    "Closed automatically: no reply from the party for 15 days "
    "since it was replied to on 2026-11-10"
)


def replied(by, *, when=REPLIED_AT, **data) -> Opportunity:
    """An opportunity set Replied by hand at ``when`` (the clock moved there)."""
    with time_machine.travel(when, tick=False):
        opp = make_opportunity(
            by, make_customer(by, customer_name=f"C {Opportunity.objects.count()}"), **data
        )
        return crm.set_opportunity_status(opp, status=S.REPLIED, version=opp.version, by=by)


def statuses() -> dict[str, str]:
    return dict(Opportunity.objects.values_list("name", "status"))


def notes(name: str) -> list[str]:
    """The job's notes on an opportunity's timeline: the change reasons of its history."""
    return [
        e.data["reason"]
        for e in timeline_for("Opportunity", name)
        if e.data.get("reason", "").startswith(CHANGE_REASON)
    ]


def set_days(days: int) -> None:
    CRMSettings.objects.filter(pk=1).update(close_opportunity_after_days=days)


def test_closes_exactly_the_due_ones(sales):
    due = replied(sales)
    on_the_boundary = replied(sales, when=REPLIED_AT + dt.timedelta(days=1))
    too_recent = replied(sales, when=REPLIED_AT + dt.timedelta(days=1, seconds=1))
    with time_machine.travel(REPLIED_AT, tick=False):
        still_open = make_opportunity(sales)
    now = REPLIED_AT + dt.timedelta(days=16)

    result = close_silent_opportunities(now=now)

    assert (result.closed, result.failed, result.days) == (2, 0, 15)
    assert statuses() == {
        due.name: S.CLOSED,
        on_the_boundary.name: S.CLOSED,  # exactly 15 days
        too_recent.name: S.REPLIED,
        still_open.name: S.OPEN,
    }
    closed = Opportunity.objects.get(pk=due.name)
    assert (closed.version, closed.modified, closed.modified_by) == (due.version + 1, now, None)
    assert closed.replied_on == REPLIED_AT  # the business clock is kept
    assert notes(due.name) == [NOTE]
    assert notes(on_the_boundary.name) == [NOTE.replace("2026-11-10", "2026-11-11")]
    assert notes(too_recent.name) == []


def test_a_reply_from_the_party_after_replied_keeps_it(sales):
    answered = replied(sales)
    answered_before = replied(sales)
    Opportunity.objects.filter(pk=answered.name).update(
        last_received_on=REPLIED_AT + dt.timedelta(hours=2)
    )
    Opportunity.objects.filter(pk=answered_before.name).update(
        last_received_on=REPLIED_AT - dt.timedelta(days=3)
    )

    result = close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=30))

    assert result.closed == 1
    assert statuses() == {answered.name: S.REPLIED, answered_before.name: S.CLOSED}


def test_edits_do_not_keep_it_alive(sales):
    """Silence is counted from replied_on, not modified (ERPNext's rule)."""
    opp = replied(sales)
    with time_machine.travel(REPLIED_AT + dt.timedelta(days=14), tick=False):
        opp = crm.update_opportunity(
            opp, data={"to_discuss": "Call"}, version=opp.version, by=sales
        )

    assert close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=15)).closed == 1
    assert statuses() == {opp.name: S.CLOSED}


def test_zero_days_switches_it_off(sales):
    opp = replied(sales)
    set_days(0)

    result = close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=400))

    assert (result.closed, result.failed, result.days) == (0, 0, 0)
    assert statuses() == {opp.name: S.REPLIED}
    assert not Notification.objects.exists()


def test_the_setting_is_read(sales):
    opp = replied(sales)
    set_days(3)
    assert close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=2)).closed == 0
    assert close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=3)).closed == 1
    assert notes(opp.name) == [NOTE.replace("15 days", "3 days")]


def test_a_second_run_changes_nothing(sales):
    opps = [replied(sales) for _ in range(3)]
    now = REPLIED_AT + dt.timedelta(days=20)
    assert close_silent_opportunities(now=now, batch_size=2).closed == 3
    versions = dict(Opportunity.objects.values_list("name", "version"))
    history = Opportunity.history.count()

    again = close_silent_opportunities(now=now + dt.timedelta(hours=1), batch_size=2)

    assert (again.closed, again.failed) == (0, 0)
    assert dict(Opportunity.objects.values_list("name", "version")) == versions
    assert Opportunity.history.count() == history
    assert [len(notes(o.name)) for o in opps] == [1, 1, 1]
    assert Notification.objects.count() == 1


def test_owners_are_told_once_per_run(sales, sales2, manager):
    for _ in range(3):
        replied(sales, opportunity_owner=sales2.username)
    replied(sales)  # no owner set: its creator is told
    now = REPLIED_AT + dt.timedelta(days=20)

    close_silent_opportunities(now=now, batch_size=2)

    rows = Notification.objects.order_by("user__username").values_list(
        "user__username", "kind", "subject", "link", "key"
    )
    link = "/crm/opportunities/?status=Closed&ordering=-modified"
    assert list(rows) == [
        (
            "sales",
            "auto_close",
            "1 opportunity closed automatically after 15 days without a reply",
            link,
            f"auto-close:{sales.pk}:2026-11-30",
        ),
        (
            "sales2",
            "auto_close",
            "3 opportunities closed automatically after 15 days without a reply",
            link,
            f"auto-close:{sales2.pk}:2026-11-30",
        ),
    ]


def test_history_records_the_change(sales):
    opp = replied(sales)
    now = REPLIED_AT + dt.timedelta(days=15)
    close_silent_opportunities(now=now)

    record = Opportunity.history.filter(name=opp.name).order_by("history_id").last()
    assert (
        record.status,
        record.history_type,
        record.history_date,
        record.history_user_id,
        record.history_change_reason,
        record.history_door,
    ) == (S.CLOSED, "~", now, None, NOTE, "system")
    assert record.title == opp.title and record.party_name == opp.party_name
    timeline = crm_timeline(opp.name)
    assert ("change", "changed status", "system", NOTE) in timeline
    # one entry: the note is the change's reason, not a comment beside it
    assert not Comment.objects.filter(reference_name=opp.name).exists()
    page = client_for(sales).get(reverse("crm:opportunity_detail", args=[opp.name]))
    assert NOTE in page.content.decode()


def crm_timeline(name: str) -> list[tuple]:
    return [
        (e.kind, e.summary, e.door, e.data.get("reason")) for e in timeline_for("Opportunity", name)
    ]


def _fail_updates_of(name: str) -> None:
    """A database trigger refusing any UPDATE of one opportunity (a document that cannot be
    saved, whatever the reason)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_update() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_one BEFORE UPDATE ON crm_opportunity FOR EACH ROW "
                f"WHEN (OLD.name = '{name}') EXECUTE FUNCTION refuse_update()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_one BEFORE UPDATE ON crm_opportunity "
                f"WHEN OLD.name = '{name}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def test_one_failing_document_never_stops_the_others(sales, caplog):
    opps = [replied(sales) for _ in range(5)]
    _fail_updates_of(opps[1].name)

    result = close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=15), batch_size=3)

    assert (result.closed, result.failed) == (4, 1)
    assert statuses() == {o.name: (S.REPLIED if o == opps[1] else S.CLOSED) for o in opps}
    assert notes(opps[1].name) == []
    assert [len(notes(o.name)) for o in opps] == [1, 0, 1, 1, 1]
    assert Opportunity.history.filter(history_change_reason__startswith=CHANGE_REASON).count() == 4
    assert f"opportunity {opps[1].name} could not be closed" in caplog.text
    assert Notification.objects.get().subject.startswith("4 opportunities")


def test_a_closed_opportunity_can_be_reopened(sales):
    opp = replied(sales)
    close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=15))
    closed = Opportunity.objects.get(pk=opp.name)

    reopened = crm.reopen_opportunity(closed, version=closed.version, by=sales)

    assert reopened.status == S.OPEN


def test_the_scheduled_job_closes_through_the_job_door(sales, django_capture_on_commit_callbacks):
    opp = replied(sales)
    with (
        time_machine.travel(REPLIED_AT + dt.timedelta(days=15, hours=15), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        enqueue_job(
            "crm.close_silent_opportunities",
            key="crm.close_silent_opportunities:2026-11-25T00:30",
            scheduled_for="2026-11-25T00:30:00+00:00",
        )

    assert Job.objects.get().status == Job.Status.DONE
    assert statuses() == {opp.name: S.CLOSED}
    record = Opportunity.history.filter(name=opp.name).order_by("history_id").last()
    assert (record.status, record.history_door) == (S.CLOSED, "job")


def test_negative_days_are_refused(manager):
    with pytest.raises(ValidationError) as refused:
        crm.update_crm_settings(data={"close_opportunity_after_days": -1}, version=1, by=manager)
    assert list(refused.value.fields) == ["close_opportunity_after_days"]
    assert CRMSettings.load().close_opportunity_after_days == 15


def test_closing_drops_the_next_contact_still_to_come(sales):
    """As a Closed status set by hand does (crm.next_contact): a future reminder goes, a past
    next contact stays in the calendar as history."""
    coming = replied(sales, contact_date=at(2026, 12, 20, 10), contact_by="sales")
    past = replied(sales, contact_date=at(2026, 11, 20, 10), contact_by="sales")
    events = Event.objects.filter(source=NEXT_CONTACT)
    assert sorted(events.values_list("reference_name", flat=True)) == sorted(
        [coming.name, past.name]
    )

    close_silent_opportunities(now=REPLIED_AT + dt.timedelta(days=16))

    assert statuses() == {coming.name: S.CLOSED, past.name: S.CLOSED}
    assert list(events.values_list("reference_name", flat=True)) == [past.name]
