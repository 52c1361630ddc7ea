"""Master data kept in each process (issue 12, "Cheap writes"; core.master_cache, decision 0047).

The rows of master data every write reads (a currency's precision, the rules, the settings) are
asked of the database once, then kept until a table of them changes: through this connection
(any path, seen at once; a transaction that wrote one reads its own rows, never kept), or
through another (PostgreSQL's notification, SQLite's data version). Transactional tests: the
writes commit, as in production."""

from __future__ import annotations

import sqlite3
import time

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from opportune.automation.models import KEPT_TABLES as AUTOMATION_TABLES
from opportune.core import master_cache
from opportune.crm.models import KEPT_TABLES as CRM_TABLES
from opportune.masters.models import KEPT_TABLES as MASTERS_TABLES
from opportune.masters.models import Currency
from opportune.masters.services import MastersCatalog

pytestmark = pytest.mark.django_db(transaction=True)
POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's triggers: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make test",
)


@pytest.fixture
def currency(db):
    Currency.objects.update_or_create(pk="KPT", defaults={"precision": 2, "enabled": True})
    master_cache.clear()
    return "KPT"


def precision(code: str) -> tuple[int | None, int]:
    """The currency's precision as every priced write reads it, and the queries it cost."""
    with CaptureQueriesContext(connection) as queries:
        found = MastersCatalog().currency_precision(code)
    return found, len(queries.captured_queries)


def test_a_master_row_is_asked_of_the_database_once(currency):
    assert precision(currency) == (2, 1)
    assert precision(currency) == (2, 0)


def test_a_change_through_this_connection_is_seen_at_once_whatever_the_path(currency):
    precision(currency)
    Currency.objects.filter(pk=currency).update(precision=3)  # no signal, no save()
    assert precision(currency) == (3, 1)
    row = Currency.objects.get(pk=currency)
    row.precision = 4
    row.save()
    assert precision(currency) == (4, 1)
    Currency.objects.filter(pk=currency).delete()
    assert precision(currency) == (None, 1)


def test_a_transaction_reads_its_own_change_and_nothing_of_it_stays_after_a_rollback(currency):
    precision(currency)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        Currency.objects.filter(pk=currency).update(precision=0)
        assert precision(currency) == (0, 1)
        assert precision(currency) == (0, 1)  # its own row, not committed: never kept
        raise Undo

    assert precision(currency) == (2, 1)
    assert precision(currency) == (2, 0)


def test_a_change_undone_with_its_savepoint_leaves_the_transaction_free_to_keep(currency):
    with transaction.atomic():
        try:
            with transaction.atomic():
                Currency.objects.filter(pk=currency).update(precision=1)
                raise RuntimeError
        except RuntimeError:
            pass
        assert precision(currency) == (2, 1)
        assert precision(currency) == (2, 0)


def outside_this_process(sql: str, params: list) -> None:
    """Run a write on a connection of its own that Django's wrappers do not see: the local
    watch is not told, as it is not when another process writes."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        with psycopg.connect(
            dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
        ) as raw:
            raw.execute(sql.replace("?", "%s"), params)
    else:
        other = sqlite3.connect(db["NAME"], uri=True)
        try:
            other.execute(sql, params)
            other.commit()
        finally:
            other.close()


def test_a_change_committed_by_another_connection_is_seen(currency):
    assert precision(currency) == (2, 1)
    assert precision(currency) == (2, 0)
    outside_this_process("UPDATE masters_currency SET precision = ? WHERE name = ?", [4, currency])
    # PostgreSQL's notification reaches this connection's socket a moment after the commit
    deadline = time.monotonic() + 5
    while precision(currency)[0] != 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert precision(currency) == (4, 0)


def test_a_round_robin_turn_or_a_sign_in_is_no_change():
    assert (
        master_cache._writes_kept_table(
            'UPDATE "automation_assignmentrule" SET "last_user_id" = %s, "turns" = %s '
            'WHERE ("automation_assignmentrule"."name" = %s AND "automation_assignmentrule"."turns" < %s)'
        )
        is False
    )
    assert (
        master_cache._writes_kept_table(
            "UPDATE automation_assignmentrule SET turns = turns + 1 WHERE name = %s RETURNING turns"
        )
        is False
    )
    assert (
        master_cache._writes_kept_table(
            'UPDATE "auth_user" SET "last_login" = %s WHERE "auth_user"."id" = %s'
        )
        is False
    )
    assert master_cache._writes_kept_table(
        'UPDATE "automation_assignmentrule" SET "disabled" = %s WHERE "name" = %s'
    )
    assert master_cache._writes_kept_table('UPDATE "auth_user" SET "is_active" = %s WHERE id = 1')
    assert master_cache._writes_kept_table('INSERT INTO "crm_salesstage" ("name") VALUES (%s)')
    assert master_cache._writes_kept_table('DELETE FROM "masters_item" WHERE 1')
    assert master_cache._writes_kept_table('TRUNCATE "crm_opportunity", "masters_item"')
    assert not master_cache._writes_kept_table('UPDATE "crm_opportunity" SET "title" = %s')
    assert not master_cache._writes_kept_table('SELECT * FROM "masters_item"')


def test_off_it_asks_every_time(currency):
    with override_settings(MASTER_CACHE=False):
        assert precision(currency) == (2, 1)
        assert precision(currency) == (2, 1)


def test_every_app_keeps_the_tables_it_names():
    kept = master_cache.kept_tables()
    assert set(kept) == {*MASTERS_TABLES, *CRM_TABLES, *AUTOMATION_TABLES}
    for table, ignore in AUTOMATION_TABLES.items():
        assert kept[table].ignore == frozenset(ignore)


@POSTGRES
def test_every_kept_table_announces_its_changes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE %s",
            ["%_master_%"],
        )
        found: dict[str, dict[str, str]] = {}
        for table, name, definition in cursor.fetchall():
            found.setdefault(table, {})[name] = definition
    for table, kept in master_cache.kept_tables().items():
        triggers = found.get(table, {})
        assert set(triggers) == {f"{table}_master_change", f"{table}_master_update"}, table
        update = triggers[f"{table}_master_update"]
        for column in kept.ignore:
            assert f"'{column}'" in update, (table, update)
        assert ("FOR EACH ROW" in update) == bool(kept.ignore), update


@POSTGRES
def test_a_turn_committed_elsewhere_sends_no_notification_and_a_rule_change_does(sales):
    from opportune.automation.models import AssignmentRule

    AssignmentRule.objects.create(name="Kept rota", document_type="Opportunity")
    db = connection.settings_dict
    raw = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
    )
    try:
        raw.execute(f"LISTEN {master_cache.CHANNEL}")
        AssignmentRule.objects.filter(pk="Kept rota").update(turns=9, last_user=sales)
        raw.execute("SELECT 1")
        assert list(raw.notifies(timeout=0.2, stop_after=1)) == []
        AssignmentRule.objects.filter(pk="Kept rota").update(priority=3)
        notes = list(raw.notifies(timeout=5, stop_after=1))
        assert [n.payload for n in notes] == ["automation_assignmentrule"]
    finally:
        raw.close()


def test_the_watch_outlives_a_callers_wrapper_around_a_new_connection(currency):
    seen: list[str] = []

    def log(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    connection.close()
    with connection.execute_wrapper(log):  # the connection is made inside it
        precision(currency)
    assert seen
    assert master_cache._watch in connection.execute_wrappers
    assert log not in connection.execute_wrappers
    precision(currency)
    Currency.objects.filter(pk=currency).update(precision=3)
    assert precision(currency) == (3, 1)
