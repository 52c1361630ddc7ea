"""The text search's own table (core.search, decision 0022): written by the saves that change a
document's searchable text and by nothing else, read through the database's substring index
(trigrams on PostgreSQL, FTS5 on SQLite), and rebuilt by a command after a bulk load."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportune.core.models import SearchEntry
from opportune.core.search import matching_names, rebuild, sqlite_has_fts
from opportune.crm import services as crm
from opportune.crm.models import Opportunity
from opportune.testing import make_customer, make_opportunity, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return make_user("boss", "Sales Manager")


def found(text: str) -> set[str]:
    return set(
        Opportunity.objects.filter(name__in=matching_names("Opportunity", text)).values_list(
            "name", flat=True
        )
    )


def test_a_new_opportunity_is_found_by_any_part_of_its_text_in_any_case(manager):
    party = make_customer(manager, customer_name="Grünwald Fenster GmbH")
    opp = make_opportunity(
        manager, party, title="Winter glazing", contact_email="eva@gruen.example"
    )
    other = make_opportunity(manager, make_customer(manager, customer_name="Babbage Ltd"))
    assert found("glazing") == {opp.name}
    assert found("WINTER GLAZ") == {opp.name}  # a phrase, across a word boundary
    assert found("eva@gruen") == {opp.name}
    assert found("fenster") == {opp.name}  # the party's name
    assert found(opp.name.lower()) == {opp.name}
    assert found("ba") == {other.name}  # shorter than a trigram: a plain scan
    assert found("nothing like it") == set()
    assert found('"quoted" %_') == set()  # the query's quotes and wildcards are text


def test_the_entry_follows_the_text_and_nothing_else_writes_it(manager):
    opp = make_opportunity(manager, title="Old title")
    opp = crm.update_opportunity(opp, data={"title": "New title"}, version=opp.version, by=manager)
    assert found("new title") == {opp.name} and found("old title") == set()

    with CaptureQueriesContext(connection) as queries:
        crm.update_opportunity(opp, data={"probability": 70}, version=opp.version, by=manager)
    assert not [q for q in queries.captured_queries if "core_searchentry" in q["sql"]]


def test_a_deleted_opportunity_leaves_no_entry(manager):
    opp = make_opportunity(manager, title="Short lived")
    crm.delete_opportunity(opp, version=opp.version, by=manager)
    assert not SearchEntry.objects.filter(doctype="Opportunity", name=opp.name).exists()


def test_rebuild_writes_every_entry_again_after_a_bulk_load(manager):
    first = make_opportunity(manager, title="Alpha deal")
    second = make_opportunity(manager, title="Beta deal")
    SearchEntry.objects.all().delete()
    Opportunity.objects.filter(pk=second.pk).update(title="Gamma deal")  # bypasses the saves
    assert found("deal") == set()
    assert rebuild(Opportunity, batch_size=1) == 2
    assert found("alpha") == {first.name} and found("gamma") == {second.name}
    SearchEntry.objects.all().delete()
    call_command("rebuild_search_index", verbosity=0)
    assert found("deal") == {first.name, second.name}


def test_the_database_index_answers_the_search(manager):
    make_opportunity(manager, title="Indexed")
    query = str(matching_names("Opportunity", "indexed").query)
    if connection.vendor == "sqlite":
        assert sqlite_has_fts(), "this SQLite has no FTS5 trigram tokenizer"
        assert "core_searchentry_fts MATCH" in query
    else:
        # the predicate Django writes is the indexed expression (on a big table the planner
        # takes it; on this small one only when nothing else can answer)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = SearchEntry.objects.filter(text__icontains="indexed").explain()
        assert "core_searchentry_text_trgm" in plan, plan
