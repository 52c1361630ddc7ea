"""The API's change of an opportunity writes its row once (issue 12, "Cheap writes").

Its permission-checked lookup reads the row ``FOR UPDATE`` in the request's transaction; the
service claims that row as read (core.documents.lock_document's ``held``): the version is
compared there and bumped by the change's own UPDATE, not by an UPDATE of its own first. One new
row version instead of two, with its indexes and the board summary's trigger once. Transactional
tests: the request's transaction is the middleware's, as in production."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from opportune.crm.models import Opportunity
from opportune.testing import THREADS, ApiClient, make_opportunity

pytestmark = pytest.mark.django_db(transaction=True)


def _statements(queries: CaptureQueriesContext, start: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith(start)]


def test_a_change_reads_its_row_for_update_and_writes_it_once(sales, api_as):
    opportunity = make_opportunity(sales, title="Before")
    history = opportunity.history.count()

    with CaptureQueriesContext(connection) as queries:
        r = api_as(sales).patch(
            f"opportunities/{opportunity.name}",
            {"version": opportunity.version, "title": "After", "probability": 40},
        )
    assert r.status_code == 200, r.content
    assert (r.json()["title"], r.json()["version"]) == ("After", opportunity.version + 1)

    updates = _statements(queries, 'UPDATE "crm_opportunity"')
    assert len(updates) == 1, updates
    assert all(column in updates[0] for column in ('"version"', '"modified"', '"title"'))
    if connection.features.has_select_for_update:  # PostgreSQL: the lookup holds the row
        reads = _statements(queries, 'SELECT "crm_opportunity"."name", "crm_opportunity"."ver')
        assert any("FOR UPDATE" in sql for sql in reads), reads
    saved = Opportunity.objects.get(pk=opportunity.pk)
    assert (saved.title, int(saved.probability), saved.version) == ("After", 40, 2)
    assert saved.modified > opportunity.modified
    assert opportunity.history.count() == history + 1


def test_a_change_of_nothing_bumps_the_version_and_records_no_change(sales, manager, api_as):
    opportunity = make_opportunity(sales, title="Same")
    history = opportunity.history.count()

    r = api_as(manager).patch(
        f"opportunities/{opportunity.name}", {"version": opportunity.version, "title": "Same"}
    )

    assert r.status_code == 200, r.content
    saved = Opportunity.objects.get(pk=opportunity.pk)
    assert saved.version == opportunity.version + 1 == r.json()["version"]
    assert saved.modified_by == manager  # who touched it last, as before
    assert opportunity.history.count() == history  # nothing of the document changed


def test_a_stale_or_refused_change_leaves_the_row_as_it_was(sales, api_as):
    opportunity = make_opportunity(sales, title="Kept")
    api = api_as(sales)
    path = f"opportunities/{opportunity.name}"

    stale = api.patch(path, {"version": opportunity.version + 5, "title": "Stale"})
    refused = api.patch(path, {"version": opportunity.version, "probability": 140})
    unseen = api.patch("opportunities/CRM-OPP-NOPE", {"version": 1, "title": "Nobody"})

    assert stale.status_code == 409, stale.content
    assert refused.status_code == 422 and "probability" in refused.json()["error"]["fields"]
    assert unseen.status_code == 404
    saved = Opportunity.objects.get(pk=opportunity.pk)
    assert (saved.title, saved.version, saved.modified) == (
        "Kept",
        opportunity.version,
        opportunity.modified,
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them): "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test",
)
def test_of_changes_sent_at_once_from_one_version_exactly_one_is_kept(sales):
    opportunity = make_opportunity(sales, title="Contested")
    clients = [ApiClient(sales) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        try:
            start.wait()
            r = clients[n].patch(
                f"opportunities/{opportunity.name}",
                {"version": opportunity.version, "title": f"Writer {n}"},
            )
            with lock:
                answers.append((r.status_code, f"Writer {n}"))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = sorted(code for code, _ in answers)
    assert codes == [200] + [409] * (THREADS - 1), answers
    winner = next(title for code, title in answers if code == 200)
    saved = Opportunity.objects.get(pk=opportunity.pk)
    assert (saved.title, saved.version) == (winner, opportunity.version + 1)
