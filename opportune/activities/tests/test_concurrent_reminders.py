"""Workers running the reminders at once (a slot run twice, a catch-up beside the regular run):
each reminder is taken by one of them, once (PostgreSQL: SKIP LOCKED and the claim's UPDATE)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from opportune.activities import services
from opportune.notifications.models import Notification
from opportune.testing import run_in_threads

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_reminder_once(sales, sales2):
    for n in range(30):
        services.create_event(
            data={"subject": f"Call {n}", "starts_on": NOW + dt.timedelta(minutes=n + 1)},
            by=sales if n % 2 else sales2,
            now=NOW,
        )
    due = NOW + dt.timedelta(hours=1)

    def work(thread_no: int) -> list[str]:
        return [str(thread_no)] * services.send_due_reminders(now=due)

    sent = run_in_threads(work)

    assert len(sent) == 30
    assert Notification.objects.filter(kind="reminder").count() == 30
    assert services.send_due_reminders(now=due) == 0
