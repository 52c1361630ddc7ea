"""Round robin's sequences (automation.turns) and the tests' transactions."""

from __future__ import annotations

import pytest

from opportune.automation import turns


@pytest.fixture(autouse=True)
def _turn_sequences_forgotten():
    """A sequence made in a test is rolled back with it: this process must not remember it
    (automation.turns keeps the sequences it has seen committed)."""
    turns._known.clear()
    yield
    turns._known.clear()
