"""The pipeline as of a past day, what moved between two days and the forecast's accuracy
(issue 15), against a small history whose every record has its date set by hand:

- P (sales): made 2026-01-05 Prospecting 1000 at 10 %, closing 2026-02-20; 2026-01-20
  Qualification at 30 %; 2026-02-10 closing pushed to 2026-03-15; 2026-03-05 won (Converted)
  at 1200.
- Q (made and owned by sales2): 2026-01-10 Proposal/Price Quote 2000 at 50 %, closing
  2026-02-15; 2026-02-05 amount 1500; 2026-02-12 lost.
- R (sales): made 2026-02-03 Prospecting 500 at 20 %, closing 2026-03-31.
- S (sales): made 2025-12-01 Prospecting 800 at 40 %, closing 2026-01-31; 2026-01-15 closed;
  2026-02-08 open again, closing 2026-03-20.

Weighted pipeline (amount x probability): end of 2026-01-31: P 300 + Q 1000 = 1300; end of
2026-02-28: P 300 + R 100 + S 320 = 720."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from opportune.crm.models import Opportunity
from opportune.reports.models import PipelineSnapshotDay, PipelineState
from opportune.reports.snapshots import History, build_day, build_days, keep_snapshots, on_day
from opportune.testing import at, body_of, client_for, make_opportunity

pytestmark = pytest.mark.django_db


def record(opp: Opportunity, when, **changes) -> None:
    """A change of ``opp`` recorded at ``when`` (a history record with that date)."""
    Opportunity.objects.filter(pk=opp.pk).update(**changes)
    opp.refresh_from_db()
    Opportunity.history.bulk_history_create([opp], update=True, default_date=when)


def made(by, when, **data) -> Opportunity:
    opp = make_opportunity(by, transaction_date=when.date(), **data)
    History.objects.filter(name=opp.name).update(history_date=when)
    return opp


@pytest.fixture
def story(sales, sales2):
    p = made(
        sales,
        at(2026, 1, 5),
        opportunity_owner="sales",
        sales_stage="Prospecting",
        opportunity_amount="1000",
        probability="10",
        expected_closing=date(2026, 2, 20),
    )
    q = made(
        sales2,
        at(2026, 1, 10),
        opportunity_owner="sales2",
        sales_stage="Proposal/Price Quote",
        opportunity_amount="2000",
        probability="50",
        expected_closing=date(2026, 2, 15),
    )
    r = made(
        sales,
        at(2026, 2, 3),
        opportunity_owner="sales",
        sales_stage="Prospecting",
        opportunity_amount="500",
        probability="20",
        expected_closing=date(2026, 3, 31),
    )
    s = made(
        sales,
        at(2025, 12, 1),
        opportunity_owner="sales",
        sales_stage="Prospecting",
        opportunity_amount="800",
        probability="40",
        expected_closing=date(2026, 1, 31),
    )
    record(p, at(2026, 1, 20), sales_stage="Qualification", probability=30)
    record(p, at(2026, 2, 10), expected_closing=date(2026, 3, 15))
    record(
        p,
        at(2026, 3, 5),
        status="Converted",
        opportunity_amount=1200,
        base_opportunity_amount=1200,
    )
    record(q, at(2026, 2, 5), opportunity_amount=1500, base_opportunity_amount=1500)
    record(q, at(2026, 2, 12), status="Lost")
    record(s, at(2026, 1, 15), status="Closed")
    record(s, at(2026, 2, 8), status="Open", expected_closing=date(2026, 3, 20))
    call_command("backfill_pipeline_snapshots", "--to", "2026-03-31")
    return {"p": p.name, "q": q.name, "r": r.name, "s": s.name}


def report(api_as, user, slug, **params):
    response = api_as(user).get(f"reports/{slug}", **params)
    assert response.status_code == 200, response.content
    return response.json()


def buckets(data):
    return {
        row["bucket"]: (row["count"], row["amount"], row["weighted_change"]) for row in data["rows"]
    }


def summary(data):
    return {s["label"]: s["value"] for s in data["summary"]}


# --- the kept pipeline -------------------------------------------------------------------------------
def kept(d, *columns):
    """The open opportunities kept for the end of ``d``: {name: (columns...)}."""
    columns = columns or ("base_opportunity_amount",)
    rows = PipelineState.objects.filter(on_day(d)).values_list("name", *columns)
    got = {r[0]: (r[1] if len(columns) == 1 else r[1:]) for r in rows}
    assert len(got) == len(rows)  # one state per opportunity and day
    return got


STATE = ("status", "sales_stage_id", "base_opportunity_amount", "probability", "expected_closing")


def test_the_kept_pipeline_holds_the_open_ones_of_each_day(story):
    assert kept(date(2025, 11, 30)) == {}
    assert not PipelineSnapshotDay.objects.filter(date=date(2025, 11, 30)).exists()
    assert kept(date(2026, 1, 14)) == {story["p"]: 1000, story["q"]: 2000, story["s"]: 800}
    assert set(kept(date(2026, 1, 15))) == {story["p"], story["q"]}  # S closed that day
    assert kept(date(2026, 2, 5))[story["q"]] == 1500
    assert set(kept(date(2026, 3, 5))) == {story["r"], story["s"]}
    assert PipelineSnapshotDay.objects.get(date=date(2026, 1, 14)).rows == 3
    assert PipelineSnapshotDay.objects.get(date=date(2026, 2, 28)).rows == 3
    # a state per change (and per month it lasts over), not per day: P's 3 states over 2
    # months, cut at January's end
    p = PipelineState.objects.filter(name=story["p"]).order_by("valid_from")
    assert [(r.month, r.valid_from, r.valid_to) for r in p] == [
        (date(2026, 1, 1), date(2026, 1, 5), date(2026, 1, 20)),
        (date(2026, 1, 1), date(2026, 1, 20), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 10)),
        (date(2026, 2, 1), date(2026, 2, 10), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 5)),
    ]
    # a day built alone (from the whole history) is the same as one built from the day before
    built = {d: kept(d, *STATE) for d in (date(2026, 2, 9), date(2026, 2, 10), date(2026, 3, 1))}
    PipelineSnapshotDay.objects.filter(date=date(2026, 2, 8)).delete()
    assert build_day(date(2026, 2, 9)) == 4  # P, Q, R, S
    assert kept(date(2026, 2, 9), *STATE) == built[date(2026, 2, 9)]
    assert not PipelineSnapshotDay.objects.filter(date=date(2026, 2, 8)).exists()
    build_days(date(2026, 2, 9), date(2026, 3, 1))
    assert {d: kept(d, *STATE) for d in built} == built


def test_a_record_that_changes_nothing_kept_adds_no_state(story):
    r = Opportunity.objects.get(pk=story["r"])
    record(r, at(2026, 2, 20), title="Renamed")  # not a column of the pipeline
    call_command("backfill_pipeline_snapshots", "--from", "2026-02-15", "--to", "2026-03-31")
    assert PipelineState.objects.filter(name=story["r"], month=date(2026, 2, 1)).count() == 1


def test_month_boundaries(sales):
    """T: open across January's end, changed on February 1st, closed on the last day of
    February (open at the end of the 27th and 28th? the 28th is the day it closed: not)."""
    t = made(
        sales,
        at(2026, 1, 20),
        opportunity_owner="sales",
        sales_stage="Prospecting",
        opportunity_amount="100",
        probability="10",
        expected_closing=date(2026, 3, 31),
    )
    record(t, at(2026, 2, 1, 8), opportunity_amount=200, base_opportunity_amount=200)
    record(t, at(2026, 2, 1, 15), probability=20)  # twice on the 1st: the day's last counts
    record(t, at(2026, 2, 28, 17), status="Lost")
    call_command("backfill_pipeline_snapshots", "--to", "2026-03-02")
    amounts = ("base_opportunity_amount", "probability")
    assert kept(date(2026, 1, 19)) == {}
    assert kept(date(2026, 1, 31), *amounts) == {t.name: (100, 10)}
    assert kept(date(2026, 2, 1), *amounts) == {t.name: (200, 20)}
    assert kept(date(2026, 2, 27), *amounts) == {t.name: (200, 20)}
    assert kept(date(2026, 2, 28)) == {} and kept(date(2026, 3, 1)) == {}
    states = PipelineState.objects.filter(name=t.name).order_by("valid_from")
    assert [(r.month, r.valid_from, r.valid_to, r.probability) for r in states] == [
        (date(2026, 1, 1), date(2026, 1, 20), date(2026, 2, 1), Decimal(10)),
        (date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 28), Decimal(20)),
    ]
    # the nightly job from the 1st: the same states, a day at a time
    build_days(date(2026, 1, 31), date(2026, 1, 31))
    assert keep_snapshots(today=date(2026, 3, 3)) == 30
    assert [(r.month, r.valid_from, r.valid_to, r.probability) for r in states.all()] == [
        (date(2026, 1, 1), date(2026, 1, 20), date(2026, 2, 1), Decimal(10)),
        (date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 28), Decimal(20)),
    ]


def test_days_rebuilt_after_a_correction_of_the_past(story, manager, api_as):
    """R's amount corrected on 2026-02-04 (a record written now with that date): the days from
    then change once rebuilt from there; the days before stay as they were."""
    before = {d: kept(d) for d in (date(2026, 2, 3), date(2026, 2, 20), date(2026, 3, 10))}
    r = Opportunity.objects.get(pk=story["r"])
    record(r, at(2026, 2, 4), opportunity_amount=900, base_opportunity_amount=900)
    call_command("backfill_pipeline_snapshots", "--from", "2026-02-04", "--to", "2026-03-31")
    assert kept(date(2026, 2, 3)) == before[date(2026, 2, 3)]
    assert kept(date(2026, 2, 20)) == {**before[date(2026, 2, 20)], story["r"]: 900}
    assert kept(date(2026, 3, 10)) == {**before[date(2026, 3, 10)], story["r"]: 900}
    params = {"from_date": "2026-01-01", "to_date": "2026-03-31", "based_on": "amount"}
    data = report(api_as, manager, "sales-pipeline", as_of="2026-02-28", **params)
    assert summary(data)["Total amount"] == 1000 + 900 + 800  # P, R corrected, S
    # a rebuild of a range in the middle drops the days after it: the nightly job adds them
    build_days(date(2026, 2, 10), date(2026, 2, 12))
    assert PipelineSnapshotDay.objects.latest("date").date == date(2026, 2, 12)
    assert keep_snapshots(today=date(2026, 4, 1)) == 47
    assert kept(date(2026, 3, 10)) == {**before[date(2026, 3, 10)], story["r"]: 900}


def test_the_nightly_job_builds_the_days_missing_up_to_yesterday(story):
    PipelineSnapshotDay.objects.filter(date__gt=date(2026, 3, 28)).delete()
    assert keep_snapshots(today=date(2026, 4, 1)) == 3  # March 29th to 31st
    assert keep_snapshots(today=date(2026, 4, 1)) == 0  # safe to run twice
    assert set(kept(date(2026, 3, 31))) == {story["r"], story["s"]}


# --- as_of -----------------------------------------------------------------------------------------
def test_sales_pipeline_as_of_a_past_day(story, manager, sales, api_as):
    params = {"from_date": "2026-01-01", "to_date": "2026-03-31", "based_on": "amount"}
    then = report(api_as, manager, "sales-pipeline", as_of="2026-01-31", **params)
    rows = {r["opportunity_owner"]: r for r in then["rows"]}
    assert rows["sales"]["2026-02"] == 1000 and rows["sales2"]["2026-02"] == 2000
    assert summary(then)["Total amount"] == 3000
    later = report(api_as, manager, "sales-pipeline", as_of="2026-02-28", **params)
    rows = {r["opportunity_owner"]: r for r in later["rows"]}
    assert set(rows) == {"sales"}
    assert (rows["sales"]["2026-03"], rows["sales"]["total"]) == (2300, 2300)
    # a sales user sees their own only, as of that day too
    own = report(api_as, sales, "sales-pipeline", as_of="2026-01-31", **params)
    assert summary(own)["Total amount"] == 1000
    # a day whose pipeline was not kept (before the first history) says so
    before = report(api_as, manager, "sales-pipeline", as_of="2025-11-15", **params)
    assert before["rows"] == [] and "2025-11-15 was not kept" in before["message"]
    assert then["message"] == ""


def test_summary_and_forecast_as_of_a_past_day(story, manager, api_as):
    data = report(
        api_as, manager, "opportunity-summary", as_of="2026-01-14", data_based_on="amount"
    )
    rows = {r["opportunity_owner"]: r for r in data["rows"]}
    assert rows["sales"]["Prospecting"] == 1800 and rows["sales"]["Qualification"] == 0
    assert rows["sales2"]["Proposal/Price Quote"] == 2000
    forecast = report(
        api_as,
        manager,
        "forecast",
        as_of="2026-01-31",
        from_date="2026-02-01",
        to_date="2026-02-28",
    )
    assert forecast["rows"][0]["weighted"] == 1300


def test_event_reports_count_what_had_happened_by_that_day(story, manager, api_as):
    # Q was lost on 2026-02-12: not yet as of the 11th
    params = {"from_date": "2026-01-01", "to_date": "2026-03-31"}
    Opportunity.objects.filter(pk=story["q"]).update(modified=at(2026, 2, 12))
    now = report(api_as, manager, "lost-opportunities", **params)
    assert [r["name"] for r in now["rows"]] == [story["q"]]
    then = report(api_as, manager, "lost-opportunities", as_of="2026-02-11", **params)
    assert then["rows"] == []


# --- pipeline changes ------------------------------------------------------------------------------
def test_pipeline_changes_between_two_days(story, manager, api_as):
    data = report(api_as, manager, "pipeline-changes", from_date="2026-01-31", to_date="2026-02-28")
    got = buckets(data)
    assert got["new"] == (1, 500, 100)
    assert got["reopened"] == (1, 800, 320)
    assert got["lost"] == (1, 2000, -1000)
    assert got["won"] == (0, 0, 0) and got["closed"] == (0, 0, 0)
    assert got["slipped"] == (1, 1000, None)
    assert got["moved_forward"][0] == got["amount_down"][0] == 0
    assert summary(data) == {
        "Weighted pipeline 2026-01-31": 1300,
        "Weighted pipeline 2026-02-28": 720,
        "Change": -580,
    }
    chart = data["chart"]
    assert chart["type"] == "waterfall"
    values = chart["datasets"][0]["values"]
    assert values[0] == 1300 and values[-1] == 720
    assert sum(values[1:-1]) == 720 - 1300  # the walk adds up
    assert "Slipped past the period" not in chart["labels"]


def test_pipeline_changes_stage_moves_amounts_won_and_closed(story, manager, api_as):
    moves = buckets(
        report(api_as, manager, "pipeline-changes", from_date="2026-01-10", to_date="2026-01-31")
    )
    assert moves["moved_forward"] == (1, 1000, 200)  # P: 10 % -> 30 % of 1000
    assert moves["closed"] == (1, 800, -320)  # S
    amounts = buckets(
        report(api_as, manager, "pipeline-changes", from_date="2026-01-31", to_date="2026-02-07")
    )
    assert amounts["amount_down"] == (1, -500, -250)  # Q: 2000 -> 1500 at 50 %
    won = buckets(
        report(api_as, manager, "pipeline-changes", from_date="2026-02-28", to_date="2026-03-10")
    )
    assert won["won"] == (1, 1000, -300)  # P, as it stood before


def test_pipeline_changes_lists_the_opportunities_of_a_change(story, manager, sales, api_as):
    listed = report(
        api_as,
        manager,
        "pipeline-changes",
        from_date="2026-01-31",
        to_date="2026-02-28",
        bucket="lost",
    )
    assert [r["name"] for r in listed["rows"]] == [story["q"]]
    row = listed["rows"][0]
    assert (row["amount_from"], row["status_to"], row["weighted_change"]) == (2000, "Lost", -1000)
    # a sales user: only their own, on both days
    own = report(api_as, sales, "pipeline-changes", from_date="2026-01-31", to_date="2026-02-28")
    got = buckets(own)
    assert got["lost"][0] == 0 and got["new"][0] == 1 and got["reopened"][0] == 1
    assert summary(own)["Weighted pipeline 2026-01-31"] == 300


def test_pipeline_changes_for_a_user_who_sees_no_opportunity_are_empty(story, outsider, api_as):
    """Past days and today alike: no opportunity visible is an empty walk, not an error."""
    for to_date in ("2026-02-28", None):
        params = {"from_date": "2026-01-31"} | ({"to_date": to_date} if to_date else {})
        data = report(api_as, outsider, "pipeline-changes", **params)
        assert {count for count, _amount, _change in buckets(data).values()} == {0}


def test_pipeline_changes_page_links_every_bar_to_its_list(story, manager):
    client = client_for(manager)
    page = client.get("/reports/pipeline-changes/?from_date=2026-01-31&to_date=2026-02-28")
    assert page.status_code == 200
    html = page.content.decode()
    assert "from_date=2026-01-31&amp;to_date=2026-02-28&amp;bucket=lost" in html
    assert '"links"' in html and "bucket=reopened" in html
    listed = client.get(
        "/reports/pipeline-changes/?from_date=2026-01-31&to_date=2026-02-28&bucket=new"
    )
    assert story["r"] in listed.content.decode()
    exported = client.get(
        "/reports/pipeline-changes/?from_date=2026-01-31&to_date=2026-02-28&bucket=new&format=csv"
    )
    rows = list(csv.reader(io.StringIO(body_of(exported).decode("utf-8-sig"))))
    assert rows[1][0] == story["r"]


# --- forecast accuracy -----------------------------------------------------------------------------
def test_forecast_accuracy_per_month_and_horizon(story, manager, api_as):
    data = report(
        api_as, manager, "forecast-accuracy", from_date="2026-02-01", to_date="2026-03-31"
    )
    rows = {r["month"]: r for r in data["rows"]}
    feb, mar = rows["2026-02"], rows["2026-03"]
    assert (feb["won"], feb["forecast_0"], feb["forecast_30"], feb["forecast_60"]) == (
        0,
        1300,
        0,
        0,
    )
    assert (mar["won"], mar["forecast_0"], mar["forecast_30"], mar["forecast_60"]) == (
        1200,
        720,
        0,
        0,
    )
    assert mar["error_0"] == -480
    # 90 days before February and March: before the first history, no snapshot
    assert feb["forecast_90"] is None and mar["forecast_90"] is None
    assert "could not be read" in data["message"]
    got = summary(data)
    assert got["Mean absolute error 0 days before"] == 890  # (1300 + 480) / 2
    assert got["Mean absolute error 30 days before"] == 600  # (0 + 1200) / 2
    assert got["Mean absolute error 90 days before"] is None
    assert got["Won"] == 1200


def test_forecast_accuracy_counts_a_win_when_it_turns_converted_only(story, manager, api_as):
    """Won is the record where the status turned Converted: an edit while Converted is not won
    again; reopened and won again is (the report probes the opportunity's earlier Converted
    records, then the record before, only when there are some)."""
    p = Opportunity.objects.get(pk=story["p"])
    record(p, at(2026, 3, 8), title="Renamed while won")  # still Converted: not won again
    record(p, at(2026, 3, 12), status="Open")
    record(p, at(2026, 3, 20), status="Converted", base_opportunity_amount=1300)
    data = report(
        api_as, manager, "forecast-accuracy", from_date="2026-03-01", to_date="2026-03-31"
    )
    assert data["rows"][0]["month"] == "2026-03"
    assert data["rows"][0]["won"] == 2500  # 1200 on 2026-03-05, 1300 on 2026-03-20


def test_forecast_accuracy_per_owner_and_team(story, manager, sales, api_as):
    data = report(
        api_as,
        manager,
        "forecast-accuracy",
        from_date="2026-02-01",
        to_date="2026-03-31",
        group_by="opportunity_owner",
    )
    rows = {r["opportunity_owner"]: r for r in data["rows"]}
    assert (rows["sales"]["forecast_0"], rows["sales"]["won"], rows["sales"]["mae_0"]) == (
        1020,
        1200,
        390,
    )
    assert (rows["sales2"]["forecast_0"], rows["sales2"]["mae_0"]) == (1000, 500)
    assert (rows["Team"]["forecast_0"], rows["Team"]["mae_0"]) == (2020, 890)
    own = report(api_as, sales, "forecast-accuracy", from_date="2026-02-01", to_date="2026-03-31")
    assert {r["month"]: r["forecast_0"] for r in own["rows"]} == {"2026-02": 300, "2026-03": 720}


def test_forecast_accuracy_counts_a_state_for_every_horizon_it_lasts_over(
    story, sales, manager, api_as
):
    """V, open and unchanged through March with its closing in April: April's forecast at the
    month's start (end of March 31st) and 30 days before (end of March 1st) both hold it, from
    the one state March keeps of it."""
    made(
        sales,
        at(2026, 2, 25),
        opportunity_owner="sales",
        sales_stage="Prospecting",
        opportunity_amount="1000",
        probability="50",
        expected_closing=date(2026, 4, 15),
    )
    call_command("backfill_pipeline_snapshots", "--from", "2026-02-25", "--to", "2026-03-31")
    data = report(
        api_as, manager, "forecast-accuracy", from_date="2026-04-01", to_date="2026-04-30"
    )
    april = data["rows"][0]
    assert (april["forecast_0"], april["forecast_30"], april["forecast_60"]) == (500, 500, 0)


# --- refusals ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "slug", ["sales-pipeline", "pipeline-changes", "forecast-accuracy", "lost-opportunities"]
)
@pytest.mark.parametrize("as_of", ["2026-02-30", "yesterday", "9999-01-01"])
def test_a_bad_as_of_is_refused_naming_it(slug, as_of, manager, api_as):
    response = api_as(manager).get(f"reports/{slug}", as_of=as_of)
    assert response.status_code == 422
    assert "as_of" in response.content.decode()


def test_a_bad_bucket_is_refused_and_the_page_names_a_bad_as_of(manager, api_as):
    response = api_as(manager).get("reports/pipeline-changes", bucket="everything")
    assert response.status_code == 422 and "bucket" in response.content.decode()
    page = client_for(manager).get("/reports/sales-pipeline/?as_of=2026-13-01")
    assert page.status_code == 200
    assert "as_of" in page.content.decode()


def test_kept_amounts_are_decimals(story):
    row = PipelineState.objects.filter(on_day(date(2026, 2, 5))).get(name=story["q"])
    assert row.base_opportunity_amount == Decimal("1500")
