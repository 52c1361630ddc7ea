"""Round robin's turns without a lock held to the end of the transaction
(docs/decisions/0035-round-robin-without-a-held-lock.md).

A round-robin rule hands out turns 1, 2, 3...: turn ``n`` goes to the user at ``(n - 1)`` modulo
the list (``services._pick`` skips the inactive). Each turn is taken by one statement that never
waits for another create to commit:

- PostgreSQL: ``nextval`` of the rule's own sequence. A sequence is not transactional, so two
  concurrent creates always get two different turns, and neither holds a lock (a rolled-back
  create leaves its turn unused: that user is passed over once). The rule's ``turns`` and
  ``last_user`` (what the pages, the API and the dry run read) are written after the commit, in
  a statement of their own that keeps the latest turn: no create's transaction holds the row.
- SQLite: ``UPDATE ... SET turns = turns + 1 RETURNING turns`` in the transaction; SQLite lets
  one writer at a time in anyway (``BEGIN IMMEDIATE``), so nothing queues that did not already.
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

from django.db import IntegrityError, ProgrammingError, connection, transaction

from opportune.automation.models import AssignmentRule

_TABLE = AssignmentRule._meta.db_table
_known: set[str] = set()  # the sequences this process has seen exist


def sequence_name(rule_name: str) -> str:
    """The rule's sequence (PostgreSQL): a name that fits 63 bytes whatever the rule's is."""
    return "automation_rule_turn_" + hashlib.sha1(rule_name.encode()).hexdigest()[:20]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def take_turn(rule: AssignmentRule) -> int:
    """The rule's next turn, taken for good (a write)."""
    with connection.cursor() as cursor:
        if not _postgres():
            cursor.execute(
                f"UPDATE {_TABLE} SET turns = turns + 1 WHERE name = %s RETURNING turns",
                [rule.pk],
            )
            return int(cursor.fetchone()[0])
        sequence = sequence_name(rule.pk)
        if sequence not in _known:
            _ensure_sequence(rule)
        cursor.execute("SELECT nextval(%s)", [sequence])
        return int(cursor.fetchone()[0])


def next_turn(rule: AssignmentRule) -> int:
    """The turn the next create would take (the dry run): nothing is written."""
    if _postgres():
        sequence = sequence_name(rule.pk)
        try:  # a savepoint: a missing sequence must not spoil the caller's transaction
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
                last, called = cursor.fetchone()
        except ProgrammingError:
            return rule.turns + 1
        return int(last) + 1 if called else int(last)
    return rule.turns + 1


def turn_taken(rule: AssignmentRule, turn: int, user: Any) -> None:
    """Show ``user`` as the rule's last user, with ``turn``. SQLite: now (one writer at a time).
    PostgreSQL: once the create commits, never going back to an earlier turn; no create's
    transaction then holds the rule's row, so no create waits for another."""
    if not _postgres():
        AssignmentRule.objects.filter(pk=rule.pk).update(last_user=user, turns=turn)
        return
    transaction.on_commit(partial(_catch_up, rule.pk, turn, user.pk))


def _catch_up(rule_name: str, turn: int, user_id: int) -> None:
    AssignmentRule.objects.filter(pk=rule_name, turns__lt=turn).update(
        last_user_id=user_id, turns=turn
    )


def _ensure_sequence(rule: AssignmentRule) -> None:
    """Create the rule's sequence if it is missing (a rule written without the services), once
    per process; a concurrent creation of the same sequence is no error."""
    sequence = sequence_name(rule.pk)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS {sequence} START WITH {int(rule.turns) + 1}"
            )
    except (IntegrityError, ProgrammingError):  # created by another process at that moment
        pass
    _known.add(sequence)


def reset_sequence(rule: AssignmentRule) -> None:
    """A new rule starts at turn 1 (a sequence left by a deleted rule of that name is replaced)."""
    if _postgres():
        sequence = sequence_name(rule.pk)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")
            cursor.execute(f"CREATE SEQUENCE {sequence} START WITH {int(rule.turns) + 1}")
        _known.add(sequence)


def drop_sequence(rule_name: str) -> None:
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence_name(rule_name)}")
        _known.discard(sequence_name(rule_name))
