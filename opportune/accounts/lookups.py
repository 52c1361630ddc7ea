"""``<user key>__user_named=["rep07"]``: a link to a user compared with the users of those names,
read in the same statement (issue 12).

``opportunity_owner_id = (SELECT id FROM auth_user WHERE username = %s)`` is an init plan that
PostgreSQL runs once, then an equality on the key: the index ordered by the list's order
(``opp_owner_status_modified``) still reads the first rows in order, as with an id, and the
list needs no query of its own for the ids (it had one, ``accounts.user_ids``). A join on the
user's name could not. The usernames are plain values, so the list's kept statement
(core/statements.py) takes them as placeholders. An unknown name matches nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db.models import Field, Lookup


class UserNamed(Lookup):
    lookup_name = "user_named"
    prepare_rhs = False  # usernames, not the key's integers

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        names = list(dict.fromkeys(self.rhs))
        if not names:
            raise EmptyResultSet
        user = get_user_model()._meta
        qn = connection.ops.quote_name
        table, key = qn(user.db_table), qn(user.pk.column)
        username = qn(user.get_field("username").column)
        if len(names) == 1:  # = (scalar subquery): the key's index keeps its order
            sql = f"{lhs} = (SELECT {key} FROM {table} WHERE {username} = %s)"
        else:
            marks = ", ".join(["%s"] * len(names))
            sql = f"{lhs} IN (SELECT {key} FROM {table} WHERE {username} IN ({marks}))"
        return sql, [*lhs_params, *names]


def register_user_named(field: Field[Any, Any]) -> None:
    """Let ``field`` (a foreign key to the user) be compared by usernames."""
    field.register_lookup(UserNamed)
