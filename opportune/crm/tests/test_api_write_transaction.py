"""An API create or change is the request's one service call (core.commits.one_write): it runs
in the request's transaction without a savepoint of its own, and a refused one changes nothing.
Transactional tests: the request's transaction is the middleware's own, as in production (in a
test's transaction the middleware joins it, and the services keep their savepoints)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportune.crm.models import Opportunity
from opportune.testing import make_customer, make_opportunity

pytestmark = pytest.mark.django_db(transaction=True)


def _savepoints(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]


def test_a_change_takes_no_savepoint_and_a_refused_one_changes_nothing(sales, api_as):
    opportunity = make_opportunity(sales, title="Before")
    api = api_as(sales)
    path = f"opportunities/{opportunity.name}"

    with CaptureQueriesContext(connection) as queries:
        r = api.patch(path, {"version": opportunity.version, "title": "After"})
    assert r.status_code == 200, r.content
    assert _savepoints(queries) == []
    version = r.json()["version"]

    r = api.patch(path, {"version": version, "title": "Refused", "probability": "lots"})
    assert r.status_code == 422 and "probability" in r.json()["error"]["fields"]
    r = api.patch(path, {"version": version, "title": "Refused", "sales_stage": "No such stage"})
    assert r.status_code == 422 and "sales_stage" in r.json()["error"]["fields"]
    r = api.patch(path, {"version": version - 1, "title": "Stale"})
    assert r.status_code == 409

    saved = Opportunity.objects.get(pk=opportunity.pk)
    assert (saved.title, saved.version) == ("After", version)
    r = api.patch(path, {"version": version, "title": "Again"})  # the connection is sound
    assert r.status_code == 200 and r.json()["title"] == "Again"


def test_a_create_takes_no_savepoint_and_a_refused_one_writes_nothing(sales, api_as):
    customer = make_customer(sales)
    api = api_as(sales)
    body = {"opportunity_from": "Customer", "party_name": customer.name}

    with CaptureQueriesContext(connection) as queries:
        r = api.post("opportunities", body)
    assert r.status_code == 201, r.content
    assert _savepoints(queries) == []

    refused = {**body, "items": [{"item_code": "NO-SUCH-ITEM", "qty": 1}]}
    r = api.post("opportunities", refused)
    assert r.status_code == 422, r.content
    assert Opportunity.objects.count() == 1
    assert api.post("opportunities", body).status_code == 201
    assert Opportunity.objects.count() == 2
