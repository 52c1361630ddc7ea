"""A report's sorts get REPORT_WORK_MEM on PostgreSQL, and no JIT compilation, for its own
transaction only."""

from __future__ import annotations

import pytest
from django.db import connection

from opportune.reports.registry import _report_memory


def _work_mem(setting: str = "work_mem") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_report_runs_with_its_own_work_mem_and_leaves_it(settings):
    if connection.vendor != "postgresql":
        pytest.skip("work_mem is PostgreSQL's (checked in the PostgreSQL run)")
    settings.REPORT_WORK_MEM = "48MB"
    before, jit = _work_mem(), _work_mem("jit")
    with _report_memory():
        assert (_work_mem(), _work_mem("jit")) == ("48MB", "off")
    assert _work_mem() == before != "48MB"
    assert _work_mem("jit") == jit
