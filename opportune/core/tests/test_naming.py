"""Naming series under real concurrency (PostgreSQL): never the same name twice, no gaps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from opportune.core.models import NamingSeries
from opportune.testing import THREADS, run_in_threads

PER_THREAD = 25
WHEN = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer): "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_next_name_hands_out_distinct_consecutive_names():
    def work(_thread_no: int) -> list[str]:
        got = []
        for _ in range(PER_THREAD):
            with transaction.atomic():
                got.append(NamingSeries.next_name("CRM-OPP-.YYYY.-", WHEN))
        return got

    names = run_in_threads(work)

    expected = [f"CRM-OPP-2026-{n:05d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert sorted(names) == expected
    assert NamingSeries.objects.get(prefix="CRM-OPP-2026-").current == THREADS * PER_THREAD
