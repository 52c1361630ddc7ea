"""The explained win probability (issue 15, decision 0033): a model trained on closed
opportunities whose outcome depends on their sales stage learns it, explains it in words, sits
beside the user's probability (never changing it), and refuses below 200 closed ones."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opportune.core.schedule import scheduled_job
from opportune.crm.models import Opportunity
from opportune.reports.models import WinModel, WinPrediction
from opportune.reports.win_model.services import (
    score_changed_opportunities,
    train_win_model,
)
from opportune.testing import ApiClient, client_for, make_opportunity

GOOD, BAD = "Negotiation/Review", "Prospecting"


def closed_history(template: Opportunity, n: int, *, seed: int = 1) -> None:
    """``n`` closed opportunities like ``template``: most won in GOOD, most lost in BAD."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        stage = GOOD if i % 2 else BAD
        won = rng.random() < (0.85 if stage == GOOD else 0.15)
        status = "Converted" if won else rng.choice(["Lost", "Closed"])
        rows.append(_copy(template, f"CLOSED-{i:04d}", stage=stage, status=status, rng=rng))
    Opportunity.objects.bulk_create(rows)


def _copy(template: Opportunity, name: str, *, stage: str, status: str, rng) -> Opportunity:
    amount = Decimal(rng.randint(10, 100) * 100)
    return Opportunity(
        name=name,
        opportunity_from=template.opportunity_from,
        party_name=template.party_name,
        customer_id=template.customer_id,
        currency_id=template.currency_id,
        transaction_date=timezone.localdate() - timedelta(days=60),
        expected_closing=timezone.localdate() + timedelta(days=rng.randint(-20, 60)),
        sales_stage_id=stage,
        status=status,
        probability=Decimal(50),
        opportunity_amount=amount,
        base_opportunity_amount=amount,
        owner=template.owner,
        opportunity_owner=template.opportunity_owner,
    )


@pytest.fixture
def open_pair(sales):
    closing = timezone.localdate() + timedelta(days=20)
    data: dict[str, Any] = {
        "probability": "30",
        "opportunity_amount": "1000",
        "expected_closing": closing,
    }
    good = make_opportunity(sales, sales_stage=GOOD, **data)
    bad = make_opportunity(sales, sales_stage=BAD, **data)
    return good, bad


def test_below_200_closed_it_refuses_with_a_clear_message(open_pair, sales, manager):
    good, _ = open_pair
    closed_history(good, 199)
    assert train_win_model(now=timezone.now()) is None
    assert WinModel.objects.count() == 0 and WinPrediction.objects.count() == 0
    answer = ApiClient(manager).get("reports/win-model").json()
    assert answer["rows"] == []
    assert answer["message"].startswith("The win probability needs at least 200 closed")
    assert "there are 199" in answer["message"]
    one = ApiClient(sales).get(f"opportunities/{good.name}").json()
    assert (one["win_probability"], one["win_factors"]) == (None, [])


def test_the_model_learns_the_stage_and_says_so(open_pair, sales, manager):
    good, bad = open_pair
    closed_history(good, 400)
    model = train_win_model(now=timezone.now())
    assert model is not None and model.n_closed == 400 and model.n_held_out == 80
    assert 0 < model.brier < 0.2  # the stage alone gives ~0.13
    assert sum(b["count"] for b in model.reliability) == 80

    api = ApiClient(sales)
    got_good = api.get(f"opportunities/{good.name}").json()
    got_bad = api.get(f"opportunities/{bad.name}").json()
    assert got_good["win_probability"] > 60 > 40 > got_bad["win_probability"], (got_good, got_bad)
    assert len(got_good["win_factors"]) == 3
    top = got_good["win_factors"][0]
    assert top["factor"] == f"stage {GOOD}" and top["points"] > 10
    assert got_bad["win_factors"][0]["factor"] == f"stage {BAD}"
    assert got_bad["win_factors"][0]["points"] < -10
    # beside the user's probability, never instead of it
    assert got_good["probability"] == got_bad["probability"] == "30.00"
    good.refresh_from_db()
    assert good.probability == Decimal(30)

    listed = api.get("opportunities", fields="win_probability", status="Open").json()["results"]
    assert {r["name"]: r["win_probability"] for r in listed} == {
        good.name: got_good["win_probability"],
        bad.name: got_bad["win_probability"],
    }
    # the list reads the predictions in its own query (core.schemas.selects), the factors too;
    # a closed one still scored shows none
    with CaptureQueriesContext(connection) as listing:
        rows = api.get("opportunities", fields="win_factors", status="Open").json()["results"]
    read_apart = 'SELECT "reports_winprediction"'
    assert not [q for q in listing.captured_queries if q["sql"].startswith(read_apart)]
    assert {r["name"]: r["win_factors"] for r in rows} == {
        good.name: got_good["win_factors"],
        bad.name: got_bad["win_factors"],
    }
    bad_lost = {"status": "Lost", "modified": timezone.now()}  # its prediction still stored
    Opportunity.objects.filter(pk=bad.pk).update(**bad_lost)
    rows = api.get(
        "opportunities", fields="win_probability,win_factors", status="Lost", limit=5
    ).json()["results"]
    assert {r["name"]: (r["win_probability"], r["win_factors"]) for r in rows}[bad.name] == (
        None,
        [],
    )
    Opportunity.objects.filter(pk=bad.pk).update(status="Open")
    # ordered by a column no index starts with: read apart (core.api_lists._indexed), the same
    rows = api.get(
        "opportunities", fields="win_probability", status="Open", ordering="-probability"
    ).json()["results"]
    assert {r["name"]: r["win_probability"] for r in rows} == {
        good.name: got_good["win_probability"],
        bad.name: got_bad["win_probability"],
    }

    page = client_for(sales).get(f"/crm/opportunities/{good.name}/").content.decode()
    assert "Model&#x27;s win probability" in page or "Model's win probability" in page
    assert f"stage {GOOD}: +" in page
    board = client_for(sales).get("/crm/opportunities/board/").content.decode()
    assert f"model {got_good['win_probability']:.0f}%" in board

    report = ApiClient(manager).get("reports/win-model").json()
    assert report["message"] == ""
    summary = {s["label"]: s["value"] for s in report["summary"]}
    assert summary["Trained on (closed opportunities)"] == 400
    assert set(report["rows"][0]) == {"predicted", "observed", "count"}
    seller = ApiClient(sales).get("reports/win-model").json()
    assert seller["rows"] == [] and "sales managers" in seller["message"]


def test_a_changed_opportunity_is_rescored_and_a_closed_one_dropped(open_pair, sales):
    good, bad = open_pair
    closed_history(good, 300)
    train_win_model(now=timezone.now())
    before = WinPrediction.objects.get(opportunity=bad).win_probability
    Opportunity.objects.filter(pk=bad.pk).update(sales_stage_id=GOOD, modified=timezone.now())
    Opportunity.objects.filter(pk=good.pk).update(status="Closed", modified=timezone.now())
    assert score_changed_opportunities(now=timezone.now()) == 1
    assert WinPrediction.objects.get(opportunity=bad).win_probability > before + 20
    assert not WinPrediction.objects.filter(opportunity=good).exists()


def test_the_forecast_has_a_model_weighted_line(open_pair, sales, manager):
    good, _ = open_pair
    closed_history(good, 300)
    train_win_model(now=timezone.now())
    expected = sum(
        Decimal(1000) * Decimal(str(p.win_probability)) / 100 for p in WinPrediction.objects.all()
    )
    report = ApiClient(manager).get("reports/forecast").json()
    summary = {s["label"]: s["value"] for s in report["summary"]}
    assert summary["Model-weighted pipeline"] == pytest.approx(float(expected), abs=0.02)
    assert summary["Weighted pipeline"] == 600  # the users' 30 % of 2 x 1000
    assert "Model-weighted pipeline" in [d["name"] for d in report["chart"]["datasets"]]


def test_the_weekly_training_job_is_scheduled():
    job = scheduled_job("reports.train_win_model")
    assert job is not None and job.cron == "0 3 * * 1"
    assert scheduled_job("reports.score_changed_opportunities") is not None
