"""The schedule's entries: the reminders every minute (crm), the digest at 07:00 company time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from opportune.activities import services
from opportune.activities.tasks import morning_digest_job
from opportune.core.schedule import schedule
from opportune.crm.tasks import send_due_reminders_job
from opportune.notifications.models import Notification

UTC = dt.UTC


def test_declared_in_the_schedule():
    crons = {job.name: job.cron for job in schedule()}
    assert crons["crm.send_due_reminders"] == "* * * * *"
    assert crons["activities.morning_digest"] == "0 7 * * *"


@pytest.mark.django_db
def test_the_jobs_run_their_services_once(sales):
    made = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    when = dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    services.create_event(data={"subject": "Call", "starts_on": when}, by=sales, now=made)
    slot = "2026-12-07T07:00:00+00:00"
    assert morning_digest_job(scheduled_for=slot) == 1
    assert morning_digest_job(scheduled_for=slot) == 1  # a retry: the key adds nothing
    with time_machine.travel(when + dt.timedelta(seconds=30), tick=False):
        assert send_due_reminders_job(scheduled_for="2026-12-07T09:00:00+00:00") == 1
        assert send_due_reminders_job(scheduled_for="2026-12-07T09:00:00+00:00") == 0
    kinds = list(Notification.objects.order_by("pk").values_list("kind", "key"))
    assert [k for k, _ in kinds] == ["digest", "reminder"]
