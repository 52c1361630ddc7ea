"""Opportunities created at the same moment by many users (PostgreSQL): never a duplicate name."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

from opportune.crm import services as crm
from opportune.crm.models import Opportunity
from opportune.testing import THREADS, run_in_threads

PER_THREAD = 5

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer): "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_create_opportunity_never_duplicates_names():
    sellers = [
        User.objects.create_user(username=f"seller{n}", password="pw") for n in range(THREADS)
    ]
    customer = crm.create_customer(data={"customer_name": "Concurrent Ltd"}, by=sellers[0])

    def work(thread_no: int) -> list[str]:
        by = User.objects.get(pk=sellers[thread_no].pk)
        data = {
            "opportunity_from": "Customer",
            "party_name": customer.name,
            "opportunity_amount": "100",
        }
        return [crm.create_opportunity(data=data, by=by).name for _ in range(PER_THREAD)]

    names = run_in_threads(work)

    assert len(names) == len(set(names)) == THREADS * PER_THREAD
    assert Opportunity.objects.count() == THREADS * PER_THREAD
    numbers = sorted(int(name.rsplit("-", 1)[1]) for name in names)
    assert numbers == list(range(1, THREADS * PER_THREAD + 1))
