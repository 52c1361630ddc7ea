"""Demo steps of the apps above crm: ``manage.py load_demo`` (crm) ends by running them.

An app that crm must not import (reports, the top layer) registers a step in its
``AppConfig.ready()`` with ``register_demo_step(fn)``; ``run_demo_steps(today=..., rng=...)``
calls each step once, in the order registered, with the demo's day and its seeded random
generator (so the demo stays the same on two runs of the same day). A step goes through the
app's services, as a user would.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Protocol


class DemoStep(Protocol):
    def __call__(self, *, today: date, rng: random.Random) -> None: ...


_STEPS: list[Callable[..., None]] = []


def register_demo_step(step: DemoStep) -> DemoStep:
    """Add ``step`` to the demo (once: registering it again changes nothing)."""
    if step not in _STEPS:
        _STEPS.append(step)
    return step


def run_demo_steps(*, today: date, rng: random.Random) -> None:
    for step in _STEPS:
        step(today=today, rng=rng)
