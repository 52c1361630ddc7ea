"""Believable pasts for generated opportunities (the demo and bench/generate.py, issue 15): from
an opportunity's final state, the history records that led to it: made at an earlier stage,
moved forward (now and then back), its amount revised, its expected closing pushed (slips), and
its outcome (won, lost, closed) on its last day. The last record is the opportunity as it is.
Plain dicts, written in bulk by the caller (no service: these are records of the past)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CLOSED = ("Converted", "Lost", "Closed")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def story(
    rng: random.Random,
    opp: dict[str, Any],
    *,
    stages: list[tuple[str, Decimal]],
    until: datetime,
) -> list[dict[str, Any]]:
    """The history records of ``opp`` (a dict of its columns, ``creation`` and ``modified``
    set): each a copy of the columns as they stood, with ``history_date`` and
    ``history_type`` ("+" the first, "~" the others). ``stages``: (name, probability) in order."""
    created: datetime = opp["creation"]
    last: datetime = min(max(opp["modified"], created), until)
    names = [s for s, _ in stages]
    final_stage = opp.get("sales_stage_id")
    final_idx = names.index(final_stage) if final_stage in names else 0
    start_idx = rng.randint(0, final_idx) if final_idx else 0
    amount = Decimal(opp.get("base_opportunity_amount") or 0)
    rate = Decimal(opp.get("conversion_rate") or 1)
    closing: date | None = opp.get("expected_closing")

    # what happens, in order: stage steps, an amount revision, slips, the outcome
    events: list[str] = []
    idx = start_idx
    while idx < final_idx:
        if rng.random() < 0.15 and idx > 0 and "back" not in events:
            events.append("back")
        events.append("forward")
        idx += 1
    if amount and rng.random() < 0.35:
        events.insert(rng.randint(0, len(events)), "amount")
    slips = 0
    if closing is not None and rng.random() < 0.4:
        slips = rng.randint(1, 2)
        for _ in range(slips):
            events.insert(rng.randint(0, len(events)), "slip")
    outcome = opp.get("status") if opp.get("status") in CLOSED else None
    if opp.get("status") == "Replied":
        events.insert(rng.randint(0, len(events)), "replied")

    # the first state: the earlier stage, the amount before its revision, the closing before
    # its slips
    state = dict(opp)
    state["status"] = "Open"
    state["sales_stage_id"] = names[start_idx] if final_stage in names else final_stage
    if final_stage in names:
        state["probability"] = stages[start_idx][1]
    first_amount = amount
    if "amount" in events:
        first_amount = _cents(amount * Decimal(rng.uniform(0.6, 1.4)))
        state["base_opportunity_amount"] = first_amount
        state["opportunity_amount"] = _cents(first_amount / rate) if rate else first_amount
    pushes = [timedelta(days=rng.randint(14, 75)) for _ in range(slips)]
    if closing is not None:
        state["expected_closing"] = closing - sum(pushes, timedelta(0))
    span = max(last - created, timedelta(minutes=len(events) + 2))
    moments = sorted(created + span * rng.random() for _ in events)
    records = [{**state, "history_date": created, "history_type": "+"}]
    idx = start_idx
    for event, when in zip(events, moments, strict=True):
        when = max(when, records[-1]["history_date"] + timedelta(seconds=1))
        if event == "forward":
            idx += 1
        elif event == "back":
            idx -= 1
        if event in ("forward", "back"):
            state["sales_stage_id"] = names[idx]
            state["probability"] = stages[idx][1]
        elif event == "amount":
            state["base_opportunity_amount"] = amount
            state["opportunity_amount"] = opp.get("opportunity_amount")
        elif event == "slip" and state.get("expected_closing") is not None:
            state["expected_closing"] = state["expected_closing"] + pushes.pop()
        elif event == "replied":
            state["status"] = "Replied"
        records.append({**state, "history_date": when, "history_type": "~"})
    # the last record is the opportunity as it is (its outcome, when it has one)
    final = {**opp, "history_type": "~"}
    final["history_date"] = max(last, records[-1]["history_date"] + timedelta(seconds=1))
    if outcome or final != {
        **records[-1],
        "history_type": "~",
        "history_date": final["history_date"],
    }:
        records.append(final)
    return records
