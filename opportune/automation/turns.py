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

from typing import Any

from django.db import connection

from opportune.automation.models import AssignmentRule
from opportune.core import sequences
from opportune.core.commits import after_commit_robust
from opportune.core.statements import Placeholders, execute, update_sql

_TABLE = AssignmentRule._meta.db_table


def sequence_name(rule: AssignmentRule) -> str:
    """The rule's sequence (PostgreSQL), named after the rule and the moment it was made, so a
    rule made again under a deleted one's name starts at turn 1; 63 bytes at most."""
    return sequences.sequence_name(
        "automation_rule_turn", f"{rule.pk}\x00{rule.creation.isoformat()}"
    )


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
    return sequences.take(sequence_name(rule), start_after=("%s", [rule.turns]))[0]


def next_turn(rule: AssignmentRule) -> int:
    """The turn the next create would take, as far as the rule's row knows (the dry run; on
    PostgreSQL it trails the creates not committed yet): nothing is read or written."""
    return rule.turns + 1


def turn_taken(rule: AssignmentRule, turn: int, user: Any) -> None:
    """Show ``user`` as the rule's last user, with ``turn``. SQLite: now (one writer at a time).
    PostgreSQL: once the create commits, never going back to an earlier turn; no create's
    transaction then holds the rule's row, so no create waits for another."""
    if not _postgres():
        _record_turn(rule.pk, turn, user.pk, later_only=False)
        return
    # robust: the create is committed; a database gone at that moment fails this write alone
    # (logged), not the create's answer (the next turn's record moves the rule on)
    after_commit_robust(_record_turn, rule.pk, turn, user.pk, later_only=True)


def _record_turn(rule_name: str, turn: int, user_id: int, *, later_only: bool) -> None:
    """The rule's turns and last user (``later_only``: unless a later turn was recorded); a
    kept statement (core/statements.py): every create the rule takes runs it."""

    def build(v: Placeholders) -> tuple[str, list[Any]]:
        rows = AssignmentRule.objects.filter(pk=v.rule)
        rows = rows.filter(turns__lt=v.turn) if later_only else rows
        return update_sql(rows, {"last_user_id": v.user, "turns": v.turn}, connection.alias)

    key = ("automation.record_turn", later_only)
    execute(key, build, using=connection.alias, rule=rule_name, turn=turn, user=user_id)
