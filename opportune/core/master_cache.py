"""Master data kept in each process (issue 12; docs/decisions/0047-master-data-kept-per-process.md).

Every write reads the same few rows of master data: the CRM settings, the assignment rules and
their users, the currency, the sales stage, the source, the items and their exchange rate. They
change a few times a year and are read a dozen times a second, at a query each (about 0.25 ms
of CPU between Django and the database). A statement that reads only such tables runs through
``core.statements.fetch_master``: its rows are kept here, by statement and values, until one of
those tables changes, whoever changes it:

- **this connection** (any write, through any path: a save, a queryset's ``update``, raw SQL, a
  flush): every statement passes a watch (an execute wrapper) that reads the table an INSERT,
  UPDATE, DELETE or TRUNCATE writes. A write to a kept table forgets every kept row, and while
  the transaction that wrote it is open (its marker is among the transaction's commit hooks: a
  rolled back savepoint drops it with the write) nothing is kept or answered from here: the
  transaction's own rows, not yet committed, are never kept;
- **another process on PostgreSQL**: a trigger on each kept table sends a notification on the
  channel ``opportune_master_data`` when its transaction commits; every connection listens on it
  (from its start: the rows kept before it are forgotten), and a kept row is answered only after
  the notifications waiting on the connection's socket are read (no round trip);
- **another connection on SQLite**: ``PRAGMA data_version`` changes when another connection
  commits anything; the kept rows are then forgotten (in-process: no I/O).

A table is kept by ``keep_tables`` (its app's ``ready``); its migration adds its triggers
(``watch_tables``), and a test checks that every kept table has them. An UPDATE of only the
columns ``ignore`` names (the round-robin's mirrored turn, a user's last login) is not a change.
``MASTER_CACHE = False`` turns it off (behind a pooler that cannot keep a LISTEN: PgBouncer in
transaction mode).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import migrations
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

CHANNEL = "opportune_master_data"
MAX_ENTRIES = 4096  # (statement, values) pairs kept per process: cleared when full


@dataclass(frozen=True)
class KeptTable:
    name: str
    ignore: frozenset[str] = frozenset()  # an UPDATE of only these columns is no change


_tables: dict[str, KeptTable] = {}
_rows: dict[Hashable, list[Any]] = {}
_lock = threading.Lock()
_generation = 0  # bumped by every clear: rows read before it are not kept after it


def keep_tables(tables: Mapping[str, Iterable[str]]) -> None:
    """Rows read from these tables may be kept (name -> the columns whose UPDATE alone is no
    change); their migration must ``watch_tables`` them with the same columns."""
    for name, ignore in tables.items():
        _tables[name] = KeptTable(name, frozenset(ignore))


def is_kept(table: str) -> bool:
    return table in _tables


def kept_tables() -> dict[str, KeptTable]:
    return dict(_tables)


def clear() -> None:
    """Forget every kept row."""
    global _generation
    with _lock:
        _generation += 1
        _rows.clear()


def rows(connection: BaseDatabaseWrapper, key: Hashable, run: Callable[[], list[Any]]) -> list[Any]:
    """The rows of the statement ``key`` (its SQL and values): kept ones, else ``run()``'s."""
    if not getattr(settings, "MASTER_CACHE", True) or _writing(connection):
        return run()
    connection.ensure_connection()  # a new connection forgets what was kept before it
    try:
        _read_news(connection)
    except Exception:  # a broken connection: its query says so
        clear()
        return run()
    try:
        return _rows[key]
    except KeyError:
        pass
    generation = _generation
    found = run()
    with _lock:
        if generation == _generation:  # nothing changed while it was read
            if len(_rows) >= MAX_ENTRIES:
                _rows.clear()
            _rows[key] = found
    return found


# --- changes made by other connections -------------------------------------------------------
def _read_news(connection: BaseDatabaseWrapper) -> None:
    raw = connection.connection
    if connection.vendor == "postgresql":
        pgconn = raw.pgconn
        pgconn.consume_input()  # what the socket holds, without waiting
        news = False
        while pgconn.notifies() is not None:
            news = True
        if news:
            clear()
    elif connection.vendor == "sqlite":
        version = raw.execute("PRAGMA data_version").fetchone()[0]
        if getattr(connection, "_master_data_version", None) != version:
            connection._master_data_version = version  # type: ignore[attr-defined]
            clear()


def _on_notify(_notify: Any) -> None:  # a notification read while a query's result was read
    clear()


def _connected(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "postgresql" and getattr(settings, "MASTER_CACHE", True):
        raw = connection.connection
        raw.add_notify_handler(_on_notify)
        with raw.cursor() as cursor:  # the connection is in autocommit here: LISTEN holds now
            cursor.execute(f"LISTEN {CHANNEL}")
        if not raw.autocommit:
            raw.commit()
    if _watch not in connection.execute_wrappers:
        # first: a caller's ``execute_wrapper()`` block pops the last one when it ends
        connection.execute_wrappers.insert(0, _watch)
    clear()


connection_created.connect(_connected, dispatch_uid="opportune.core.master_cache")


# --- changes made by this connection ---------------------------------------------------------
WRITE = re.compile(
    r"""\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|(TRUNCATE))
    \s+(?:TABLE\s+)?"?(\w+)"?""",
    re.IGNORECASE | re.VERBOSE,
)
SET_COLUMNS = re.compile(r"\bSET\s+(.*?)(?:\bWHERE\b|\bRETURNING\b|$)", re.IGNORECASE | re.DOTALL)
COLUMN = re.compile(r'"?(\w+)"?\s*=')


class _Marker:
    """Among a transaction's commit hooks while it holds a write to a kept table."""

    def __call__(self) -> None:
        clear()


def _writing(connection: BaseDatabaseWrapper) -> bool:
    marker = getattr(connection, "_master_write", None)
    if marker is None:
        return False
    if connection.in_atomic_block and any(hook[1] is marker for hook in connection.run_on_commit):
        return True
    connection._master_write = None  # type: ignore[attr-defined]  # committed or rolled back
    return False


def _watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    if _writes_kept_table(sql):
        connection = context["connection"]
        clear()
        if connection.in_atomic_block and not _writing(connection):
            marker = _Marker()
            connection._master_write = marker
            connection.on_commit(marker)  # forgets again what was read meanwhile elsewhere
    return execute(sql, params, many, context)


def _writes_kept_table(sql: str) -> bool:
    found = WRITE.match(sql)
    if found is None or not _tables:
        return False
    if found.group(1):  # TRUNCATE: of any table, forget
        return True
    table = _tables.get(found.group(2))
    if table is None:
        return False
    if table.ignore and sql.lstrip()[:6].upper() == "UPDATE":
        assigned = SET_COLUMNS.search(sql)
        columns = set(COLUMN.findall(assigned.group(1))) if assigned else set()
        return not columns or not columns <= table.ignore
    return True


# --- the triggers (migrations) ---------------------------------------------------------------
NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION opportune_master_data_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def trigger_sql(table: str, ignore: Iterable[str] = ()) -> list[str]:
    """PostgreSQL: the triggers that announce a change of ``table`` (an UPDATE of only the
    ``ignore`` columns announces nothing)."""
    run = "EXECUTE FUNCTION opportune_master_data_changed()"
    quoted = f'"{table}"'
    drops = [
        f"DROP TRIGGER IF EXISTS {table}_master_change ON {quoted}",
        f"DROP TRIGGER IF EXISTS {table}_master_update ON {quoted}",
    ]
    statements = [
        *drops,
        f"CREATE TRIGGER {table}_master_change AFTER INSERT OR DELETE OR TRUNCATE ON {quoted} "
        f"FOR EACH STATEMENT {run}",
    ]
    skipped = sorted(ignore)
    if not skipped:
        statements.append(
            f"CREATE TRIGGER {table}_master_update AFTER UPDATE ON {quoted} FOR EACH STATEMENT {run}"
        )
    else:
        minus = "".join(f" - '{column}'" for column in skipped)
        statements.append(
            f"CREATE TRIGGER {table}_master_update AFTER UPDATE ON {quoted} FOR EACH ROW "
            f"WHEN ((to_jsonb(OLD){minus}) IS DISTINCT FROM (to_jsonb(NEW){minus})) {run}"
        )
    return statements


def watch_tables(tables: Mapping[str, Iterable[str]]) -> migrations.RunPython:
    """A migration's operation adding the triggers of ``tables`` (name -> ignored columns),
    on PostgreSQL (SQLite needs none: ``PRAGMA data_version``)."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(NOTIFY_FUNCTION)
        for table, ignore in tables.items():
            for statement in trigger_sql(table, ignore):
                schema_editor.execute(statement)

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            for statement in trigger_sql(table)[:2]:
                schema_editor.execute(statement)

    return migrations.RunPython(forward, backward, elidable=False)
