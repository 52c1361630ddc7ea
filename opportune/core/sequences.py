"""Counters that no transaction waits on (PostgreSQL sequences), for what many concurrent writes
take a number from: a naming series' next name (decision 0040) and a round-robin rule's turn
(decision 0035).

A sequence is not transactional: two concurrent takers always get two different numbers and
neither holds a lock, and a rolled-back transaction leaves its number unused. Each is made at
its first use, starting after the counter its owner kept until then, by the database function
``opportune_take_numbers`` (core migration 0008): taking numbers is one statement, first use
or not.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection


def sequence_name(kind: str, key: str) -> str:
    """A sequence's name for ``key`` among ``kind``'s (a short word): 63 bytes at most, safe
    to write into SQL."""
    if not kind.isidentifier() or len(kind) > 30:
        raise ValueError(f"{kind!r} is not a short identifier.")
    return f"{kind}_{hashlib.sha1(key.encode()).hexdigest()[:20]}"


def take(name: str, count: int = 1, *, start_after: tuple[str, list[Any]]) -> list[int]:
    """The sequence's next ``count`` numbers, ascending, distinct from every other taker's
    (not always consecutive when others take at the same time). ``start_after``: the SQL of the
    number a sequence made now starts after, and its parameters (the owner's counter, read in
    the same statement)."""
    sql, params = start_after
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT opportune_take_numbers(%s, ({sql}), %s)", [name, *params, int(count)]
        )
        return sorted(int(row[0]) for row in cursor.fetchall())


def peek(name: str, *, start_after: tuple[str, list[Any]]) -> int:
    """The number ``take`` would hand out next (not taken: another taker may take it): the
    sequence's next, and never one at or below ``start_after`` (as ``take``'s)."""
    sql, params = start_after
    with connection.cursor() as cursor:
        if not _exists(cursor, name):
            cursor.execute(f"SELECT ({sql}) + 1", params)
        else:
            cursor.execute(
                "SELECT GREATEST(CASE WHEN is_called THEN last_value + 1 ELSE last_value END, "
                f"({sql}) + 1) FROM {name}",
                params,
            )
        return int(cursor.fetchone()[0])


def move_past(name: str, number: int) -> None:
    """The sequence's next number is above ``number`` (numbers written from elsewhere, or a
    counter set by hand); a sequence ahead already stays where it is, and one not made yet
    starts after its owner's counter anyway."""
    with connection.cursor() as cursor:
        if not _exists(cursor, name):
            return
        cursor.execute(
            f"SELECT setval(%s, %s) FROM {name} "
            "WHERE CASE WHEN is_called THEN last_value + 1 ELSE last_value END <= %s",
            [name, int(number), int(number)],
        )


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s)", [name])
    return cursor.fetchone()[0] is not None
