"""The generated pasts (reports.stories): they end as the opportunity is, in date order, and a
closed deal's outcome is its last record."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from opportune.reports.stories import story

STAGES = [("Prospecting", Decimal(10)), ("Qualification", Decimal(20)), ("Proposal", Decimal(75))]


def deal(status: str, stage: str = "Proposal") -> dict:
    return {
        "name": "CRM-OPP-2025-00001",
        "creation": datetime(2025, 1, 10, 9, tzinfo=UTC),
        "modified": datetime(2025, 3, 1, 9, tzinfo=UTC),
        "status": status,
        "sales_stage_id": stage,
        "probability": Decimal(75),
        "base_opportunity_amount": Decimal(1000),
        "opportunity_amount": Decimal(1000),
        "expected_closing": date(2025, 4, 1),
    }


@pytest.mark.parametrize("status", ["Open", "Replied", "Converted", "Lost", "Closed"])
def test_a_story_ends_as_the_opportunity_is(status):
    until = datetime(2026, 1, 1, tzinfo=UTC)
    for seed in range(50):
        records = story(random.Random(seed), deal(status), stages=STAGES, until=until)
        dates = [r["history_date"] for r in records]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)
        assert records[0]["history_type"] == "+"
        assert all(r["history_type"] == "~" for r in records[1:])
        last = records[-1]
        assert (last["status"], last["sales_stage_id"], last["expected_closing"]) == (
            status,
            "Proposal",
            date(2025, 4, 1),
        )
        assert last["base_opportunity_amount"] == 1000
        if status in ("Converted", "Lost", "Closed"):
            assert all(r["status"] in ("Open", "Replied") for r in records[:-1])


def test_stories_have_stage_moves_and_slips():
    until = datetime(2026, 1, 1, tzinfo=UTC)
    moved = slipped = 0
    for seed in range(100):
        records = story(random.Random(seed), deal("Converted"), stages=STAGES, until=until)
        moved += records[0]["sales_stage_id"] != "Proposal"
        slipped += records[0]["expected_closing"] < date(2025, 4, 1)
    assert moved > 30 and slipped > 20
