"""core.demo: the demo steps of the apps above crm, run once each, in order."""

from __future__ import annotations

import random
from datetime import date

from opportune.core import demo
from opportune.reports.demo import make_sales_targets


def test_steps_run_once_in_the_order_registered(monkeypatch):
    monkeypatch.setattr(demo, "_STEPS", [])
    calls = []

    def first(*, today, rng):
        calls.append(("first", today, rng.random()))

    def second(*, today, rng):
        calls.append(("second", today, rng.random()))

    demo.register_demo_step(first)
    demo.register_demo_step(second)
    demo.register_demo_step(first)  # again: changes nothing
    demo.run_demo_steps(today=date(2026, 12, 6), rng=random.Random(1))

    expected = random.Random(1)
    assert calls == [
        ("first", date(2026, 12, 6), expected.random()),
        ("second", date(2026, 12, 6), expected.random()),
    ]


def test_the_reports_register_their_step():
    assert make_sales_targets in demo._STEPS
