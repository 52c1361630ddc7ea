"""The rules of activities as services: the next activity's state by the user's own day, the
morning digest listing the activities due and counting the overdue ones (once per user and day),
the transitions (Open to Done or Cancelled, then final), and who sees which."""

from __future__ import annotations

import datetime as dt

import pytest

from opportune.accounts.services import set_time_zone
from opportune.activities import access, services, todos
from opportune.activities.models import Activity
from opportune.core.errors import ConflictError
from opportune.notifications.models import Notification
from opportune.testing import make_customer, make_lead

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # Monday 7 December, 06:00 UTC

pytestmark = pytest.mark.django_db


def _plan(by, due, summary="Call Ada", **extra) -> Activity:
    data = {"activity_type": "Call", "summary": summary, "due_date": due, **extra}
    return todos.create_activity(data=data, by=by, now=NOW)


@pytest.mark.parametrize(
    ("due", "state"),
    [(None, "none"), ("2026-12-06", "overdue"), ("2026-12-07", "today"), ("2026-12-08", "planned")],
)
def test_the_state_of_the_next_activity(due, state):
    today = dt.date(2026, 12, 7)
    assert todos.activity_state(dt.date.fromisoformat(due) if due else None, today) == state


def test_today_is_the_users_own_day(sales):
    set_time_zone(sales, time_zone="Asia/Tokyo", by=sales)
    late = dt.datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # already the 8th in Tokyo
    assert todos.today_for(sales, late) == dt.date(2026, 12, 8)


def test_done_and_cancelled_are_final(sales):
    activity = _plan(sales, "2026-12-07")
    done = todos.mark_activity_done(activity, outcome="  Reached  ", by=sales, now=NOW)
    assert (done.status, done.outcome, done.completed_on, done.version) == (
        "Done",
        "Reached",
        NOW,
        2,
    )
    with pytest.raises(ConflictError):
        todos.cancel_activity(done, by=sales)
    assert Activity.objects.get().status == "Done"


def test_the_digest_lists_the_activities_due_and_counts_the_overdue(sales, sales2):
    _plan(sales, "2026-12-07", summary="Call Ada")
    _plan(sales, "2026-12-06", summary="Yesterday's")
    _plan(sales, "2026-11-01", summary="Long ago")
    _plan(sales, "2026-12-08", summary="Tomorrow")
    finished = _plan(sales, "2026-12-07", summary="Finished")
    todos.mark_activity_done(finished, by=sales, now=NOW)
    _plan(sales2, "2026-12-07", summary="Sally's own")
    assert services.send_morning_digest(now=NOW) == 2
    assert services.send_morning_digest(now=NOW) == 2  # once per user and day (its key)
    rows = list(
        Notification.objects.filter(kind="digest")
        .order_by("user__username")
        .values_list("user__username", "subject", "body", "link")
    )
    assert rows == [
        (
            "sales",
            "Your day, Monday 07 December: 1 activity due, 2 overdue",
            "📞 Call: Call Ada\n2 overdue activities",
            "/calendar/activities/",
        ),
        (
            "sales2",
            "Your day, Monday 07 December: 1 activity due",
            "📞 Call: Sally's own",
            "/calendar/activities/",
        ),
    ]


def test_who_sees_which(sales, sales2, purchaser, manager):
    lead = make_lead(sales)
    customer = make_customer(sales)
    on_lead = _plan(sales, "2026-12-07", reference_type="Lead", reference_name=lead.name)
    on_customer = _plan(
        sales, "2026-12-07", reference_type="Customer", reference_name=customer.name
    )
    mine = _plan(sales, "2026-12-07", summary="Personal")

    def seen(user):
        return set(access.activities_visible_to(user).values_list("name", flat=True))

    assert seen(sales) == {on_lead.name, on_customer.name, mine.name}
    assert seen(sales2) == {on_customer.name}  # customers are shared, the lead is not
    assert seen(purchaser) == {on_customer.name}
    assert seen(manager) == {on_lead.name, on_customer.name, mine.name}
