"""The schedule (core.schedule): a cron's slots read in the company's time zone (across the
changes of summer time), the dispatcher enqueueing each slot once however often it ticks,
catching up once after a gap, and a failing scheduled job retried with backoff by the ledger.
The clock is injected (``now=``) or pinned with time_machine: nothing waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from opportune.core.jobs import durable_job, retry_delay, run_job
from opportune.core.models import Job, ScheduleState
from opportune.core.schedule import (
    ScheduledJob,
    dispatch_schedule,
    latest_slot,
    next_slot,
    schedule,
    schedule_overview,
    scheduled,
    slot_date,
)
from opportune.crm.models import CRMSettings
from opportune.testing import run_in_threads

BERLIN = ZoneInfo("Europe/Berlin")
runs: list[str] = []
failures: dict[str, int] = {}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@durable_job("tests.schedule_note")
def schedule_note(*, scheduled_for: str) -> str:
    runs.append(scheduled_for)
    return scheduled_for


@durable_job("tests.schedule_flaky", max_attempts=3)
def schedule_flaky(*, scheduled_for: str) -> None:
    failures[scheduled_for] = failures.get(scheduled_for, 0) + 1
    if failures[scheduled_for] <= 2:
        raise RuntimeError(f"failure {failures[scheduled_for]}")
    runs.append(scheduled_for)


# Handed to dispatch_schedule(jobs=...): not declared, so no other test's dispatch sees them.
DAILY = ScheduledJob("tests.schedule_note", "10 0 * * *", schedule_note)
FLAKY = ScheduledJob("tests.schedule_flaky", "10 0 * * *", schedule_flaky)


@pytest.fixture(autouse=True)
def _clean_runs():
    runs.clear()
    failures.clear()


@pytest.fixture
def berlin(db):
    CRMSettings.objects.update(time_zone="Europe/Berlin")


def seen_since(job: ScheduledJob, first_seen: datetime, last_slot: datetime | None = None):
    ScheduleState.objects.create(name=job.name, first_seen=first_seen, last_slot=last_slot)


def jobs() -> list[tuple[str, str, dict]]:
    return list(Job.objects.order_by("pk").values_list("name", "key", "args"))


# --- slots in a time zone --------------------------------------------------------------------
def test_a_daily_slot_is_read_in_the_zone_winter_and_summer():
    # 00:10 in Berlin is 23:10 UTC the day before in winter (CET), 22:10 in summer (CEST).
    assert latest_slot("10 0 * * *", BERLIN, utc(2026, 12, 6, 10)) == utc(2026, 12, 5, 23, 10)
    assert next_slot("10 0 * * *", BERLIN, utc(2026, 12, 6, 10)) == utc(2026, 12, 6, 23, 10)
    assert latest_slot("10 0 * * *", BERLIN, utc(2026, 7, 1, 12)) == utc(2026, 6, 30, 22, 10)
    # At the slot itself, it is the latest; a second before, the day before's.
    assert latest_slot("10 0 * * *", BERLIN, utc(2026, 12, 5, 23, 10)) == utc(2026, 12, 5, 23, 10)
    before = utc(2026, 12, 5, 23, 10) - timedelta(seconds=1)
    assert latest_slot("10 0 * * *", BERLIN, before) == utc(2026, 12, 4, 23, 10)
    assert next_slot("10 0 * * *", BERLIN, before) == utc(2026, 12, 5, 23, 10)
    # UTC and a zone west of it, weekly: Mondays 08:00 in New York (EST, UTC-5).
    assert latest_slot("10 0 * * *", ZoneInfo("UTC"), utc(2026, 12, 6, 10)) == utc(
        2026, 12, 6, 0, 10
    )
    new_york = ZoneInfo("America/New_York")
    assert latest_slot("0 8 * * 1", new_york, utc(2026, 12, 6, 10)) == utc(2026, 11, 30, 13)
    assert next_slot("0 8 * * 1", new_york, utc(2026, 12, 6, 10)) == utc(2026, 12, 7, 13)


def test_a_time_skipped_when_clocks_go_forward_runs_once_an_hour_later():
    # Berlin, 29 March 2026: at 01:00 UTC, 02:00 CET becomes 03:00 CEST; 02:30 does not exist
    # that day and is read with the offset before the change: 01:30 UTC (03:30 CEST).
    daily = "30 2 * * *"
    assert latest_slot(daily, BERLIN, utc(2026, 3, 29, 1, 15)) == utc(2026, 3, 28, 1, 30)
    assert next_slot(daily, BERLIN, utc(2026, 3, 29, 1, 15)) == utc(2026, 3, 29, 1, 30)
    assert latest_slot(daily, BERLIN, utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 29, 1, 30)
    assert next_slot(daily, BERLIN, utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 30, 0, 30)  # CEST
    # Hourly: 02:00 (skipped) and 03:00 CEST are the same instant: one slot, none lost after.
    hourly, now, slots = "0 * * * *", utc(2026, 3, 28, 23, 30), []
    for _ in range(4):
        now = next_slot(hourly, BERLIN, now)
        slots.append(now)
    assert slots == [
        utc(2026, 3, 29, 0),
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 2),
        utc(2026, 3, 29, 3),
    ]


def test_a_time_repeated_when_clocks_go_back_runs_once_at_its_first_occurrence():
    # Berlin, 25 October 2026: at 01:00 UTC, 03:00 CEST becomes 02:00 CET; 02:30 happens at
    # 00:30 UTC and again at 01:30 UTC. It runs at the first only.
    daily = "30 2 * * *"
    assert next_slot(daily, BERLIN, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0, 30)
    assert latest_slot(daily, BERLIN, utc(2026, 10, 25, 1, 45)) == utc(2026, 10, 25, 0, 30)
    assert next_slot(daily, BERLIN, utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)  # CET


def test_a_cron_not_of_five_fields_or_never_due_is_refused_at_declaration():
    for cron in ("61 * * * *", "* * * *", "0 0 * * * *", "every day"):
        with pytest.raises(ValueError, match="five-field cron"):
            scheduled("tests.never", cron=cron)
    with pytest.raises(ValueError, match="never comes round"):
        scheduled("tests.never", cron="0 0 30 2 *")
    assert "tests.never" not in [job.name for job in schedule()]


# --- the dispatcher ------------------------------------------------------------------------------
def test_a_slot_is_enqueued_once_however_often_and_by_however_many_workers(berlin):
    seen_since(DAILY, utc(2026, 12, 1))
    now = utc(2026, 12, 6, 10)
    key = "schedule:tests.schedule_note:2026-12-05T23:10:00+00:00"

    # Two workers ticking in the same minute, then again a minute and an hour later.
    assert dispatch_schedule(now=now, jobs=[DAILY]) == [key]
    assert dispatch_schedule(now=now, jobs=[DAILY]) == []
    assert dispatch_schedule(now=now + timedelta(minutes=1), jobs=[DAILY]) == []
    assert dispatch_schedule(now=now + timedelta(hours=1), jobs=[DAILY]) == []
    assert jobs() == [("tests.schedule_note", key, {"scheduled_for": "2026-12-05T23:10:00+00:00"})]
    state = ScheduleState.objects.get()
    assert (state.first_seen, state.last_slot) == (utc(2026, 12, 1), utc(2026, 12, 5, 23, 10))

    # The next day's slot (00:10 Berlin = 23:10 UTC), once.
    tomorrow = utc(2026, 12, 6, 23, 10)
    assert dispatch_schedule(now=tomorrow, jobs=[DAILY]) == [
        "schedule:tests.schedule_note:2026-12-06T23:10:00+00:00"
    ]
    assert dispatch_schedule(now=tomorrow + timedelta(seconds=30), jobs=[DAILY]) == []
    assert Job.objects.count() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer)",
)
@pytest.mark.django_db(transaction=True)
def test_workers_dispatching_at_the_same_moment_enqueue_the_slot_once_and_run_it_once():
    CRMSettings.objects.update(time_zone="Europe/Berlin")
    seen_since(DAILY, utc(2026, 12, 1))
    keys = run_in_threads(lambda _n: dispatch_schedule(now=utc(2026, 12, 6, 10), jobs=[DAILY]))
    assert keys == ["schedule:tests.schedule_note:2026-12-05T23:10:00+00:00"]
    assert list(Job.objects.values_list("key", "status")) == [(keys[0], "done")]
    assert runs == ["2026-12-05T23:10:00+00:00"]  # run on commit (HUEY_IMMEDIATE), once


def test_the_job_runs_with_its_slot_through_the_ledger(berlin):
    seen_since(DAILY, utc(2026, 12, 1))
    dispatch_schedule(now=utc(2026, 12, 6, 10), jobs=[DAILY])
    job = Job.objects.get()
    assert run_job(job.pk) == "done"
    assert run_job(job.pk) == "skipped"  # a second delivery
    assert runs == ["2026-12-05T23:10:00+00:00"]
    assert slot_date(runs[0]).isoformat() == "2026-12-06"  # the company's day of the slot


def test_after_three_days_down_the_latest_slot_runs_once_and_no_other(berlin):
    last_run = utc(2026, 12, 2, 23, 10)  # the run of 3 December (00:10 Berlin)
    seen_since(DAILY, utc(2026, 12, 1), last_slot=last_run)
    Job.objects.create(name=DAILY.name, key=f"schedule:{DAILY.name}:{last_run.isoformat()}")
    back = utc(2026, 12, 6, 10)  # the workers were down from the 3rd to the 6th

    assert dispatch_schedule(now=back, jobs=[DAILY]) == [
        "schedule:tests.schedule_note:2026-12-05T23:10:00+00:00"
    ]
    assert dispatch_schedule(now=back + timedelta(minutes=1), jobs=[DAILY]) == []
    assert list(Job.objects.order_by("pk").values_list("key", flat=True)) == [
        "schedule:tests.schedule_note:2026-12-02T23:10:00+00:00",
        "schedule:tests.schedule_note:2026-12-05T23:10:00+00:00",  # not the 3rd's nor the 4th's
    ]


def test_a_job_first_seen_now_starts_with_its_next_slot(berlin):
    # A fresh install at 11:00 Berlin: the day's 00:10 slot is past and not run.
    first = utc(2026, 12, 6, 10)
    assert dispatch_schedule(now=first, jobs=[DAILY]) == []
    assert dispatch_schedule(now=first + timedelta(hours=5), jobs=[DAILY]) == []
    state = ScheduleState.objects.get()
    assert (state.name, state.first_seen, state.last_slot) == (DAILY.name, first, None)
    assert not Job.objects.exists()
    # Its next slot, the next day at 00:10 Berlin, runs.
    assert dispatch_schedule(now=utc(2026, 12, 6, 23, 11), jobs=[DAILY]) == [
        "schedule:tests.schedule_note:2026-12-06T23:10:00+00:00"
    ]


def test_a_slot_whose_job_row_was_deleted_is_not_run_again(berlin):
    seen_since(DAILY, utc(2026, 12, 1))
    now = utc(2026, 12, 6, 10)
    dispatch_schedule(now=now, jobs=[DAILY])
    Job.objects.all().delete()  # the sweeper deletes done jobs after JOB_KEEP_DAYS
    assert dispatch_schedule(now=now + timedelta(minutes=5), jobs=[DAILY]) == []
    assert not Job.objects.exists()


def test_a_failing_scheduled_job_is_retried_with_backoff(berlin):
    seen_since(FLAKY, utc(2026, 12, 1))
    slot = "2026-12-05T23:10:00+00:00"
    with time_machine.travel(utc(2026, 12, 6, 10), tick=False):
        dispatch_schedule(jobs=[FLAKY])
        job = Job.objects.get()
        assert run_job(job.pk) == "retry"
        job.refresh_from_db()
        assert (job.status, job.attempts, job.last_error) == (
            "pending",
            1,
            "RuntimeError: failure 1",
        )
        assert job.run_after == utc(2026, 12, 6, 10) + retry_delay(1)
    with time_machine.travel(job.run_after, tick=False):
        assert run_job(job.pk) == "retry"
        job.refresh_from_db()
        assert job.run_after == utc(2026, 12, 6, 10) + retry_delay(1) + retry_delay(2)
        assert retry_delay(2) == 2 * retry_delay(1)  # backoff: doubled
    with time_machine.travel(job.run_after, tick=False):
        assert run_job(job.pk) == "done"
        # The dispatcher ticking meanwhile did not add a second job for the slot.
        assert dispatch_schedule(jobs=[FLAKY]) == []
    job.refresh_from_db()
    assert (job.status, job.attempts, job.key) == ("done", 3, f"schedule:{FLAKY.name}:{slot}")
    assert failures == {slot: 3}
    assert runs == [slot]


# --- what is declared, and shown ------------------------------------------------------------------
def test_the_quotation_expiry_jobs_are_declared_daily_in_company_time():
    declared = {job.name: job.cron for job in schedule()}
    assert declared["selling.expire_quotations"] == "10 0 * * *"
    assert declared["buying.expire_supplier_quotations"] == "15 0 * * *"


def test_the_overview_shows_each_job_s_last_and_next_slot(berlin):
    name = "selling.expire_quotations"
    ScheduleState.objects.create(
        name=name, first_seen=utc(2026, 12, 1), last_slot=utc(2026, 12, 5, 23, 10)
    )
    Job.objects.create(
        name=name,
        key=f"schedule:{name}:2026-12-05T23:10:00+00:00",
        status=Job.Status.DONE,
        finished=utc(2026, 12, 5, 23, 10, 2),
    )
    rows = {row.name: row for row in schedule_overview(now=utc(2026, 12, 6, 10))}
    row = rows[name]
    assert (row.cron, row.time_zone, row.first_seen, row.last_slot) == (
        "10 0 * * *",
        "Europe/Berlin",
        utc(2026, 12, 1),
        utc(2026, 12, 5, 23, 10),
    )
    assert (row.last_status, row.last_finished, row.next_slot) == (
        "done",
        utc(2026, 12, 5, 23, 10, 2),
        utc(2026, 12, 6, 23, 10),
    )
    never = rows["buying.expire_supplier_quotations"]  # no worker has seen it yet
    assert (never.first_seen, never.last_slot, never.last_status) == (None, None, "")
    assert never.next_slot == utc(2026, 12, 6, 23, 15)


# --- by hand -------------------------------------------------------------------------------------
def test_run_scheduled_job_runs_one_now_for_the_slot_given(db):
    out = StringIO()
    call_command(
        "run_scheduled_job",
        "selling.expire_quotations",
        "--for",
        "2026-12-05T23:10:00Z",
        stdout=out,
    )
    assert out.getvalue() == "selling.expire_quotations for 2026-12-05T23:10:00+00:00: 0\n"
    assert not Job.objects.exists()  # run here, not through the queue
    with pytest.raises(CommandError, match="No scheduled job is named 'nope'"):
        call_command("run_scheduled_job", "nope")
    with pytest.raises(CommandError, match="no UTC offset"):
        call_command("run_scheduled_job", "selling.expire_quotations", "--for", "2026-12-05T23:10")


def test_the_admin_shows_the_schedule_in_the_company_s_zone(admin_client, berlin):
    name = "selling.expire_quotations"
    ScheduleState.objects.create(
        name=name, first_seen=utc(2026, 12, 1), last_slot=utc(2026, 12, 5, 23, 10)
    )
    with time_machine.travel(utc(2026, 12, 6, 10), tick=False):
        r = admin_client.get("/admin/core/schedulestate/")
    assert r.status_code == 200
    row = next(row for row in r.context["rows"] if row.name == name)
    assert (row.last_slot, row.next_slot) == (utc(2026, 12, 5, 23, 10), utc(2026, 12, 6, 23, 10))
    html = r.content.decode()
    # 23:10 UTC is 00:10 in Berlin (winter)
    assert "<td>2026-12-06 00:10</td>" in html and "<td>2026-12-07 00:10</td>" in html
    assert "<code>10 0 * * *</code>" in html
