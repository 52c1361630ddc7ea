"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` (settings.py), Django checks a kept connection before the first
query of each request, and its PostgreSQL backend checks by sending ``SELECT 1``: one round trip
more for every request (a tenth of a list's time in the benchmark). Here the check first asks
the operating system whether anything came in on the connection's socket since the last answer.
Between requests the server sends nothing unasked, except when it ends the connection (a
restart or a failover: ``FATAL: terminating connection``, then the socket closes). So a socket
with nothing to read is a connection in use and kept as is; one with something to read gets
Django's ``SELECT 1``, which decides (decision 0041).

A connection lost without a word (a network cut, a host gone) is not seen by either check until
the request's first query fails: that request answers 503 (core.views.server_error) and Django
drops the connection at its end.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from psycopg.pq import TransactionStatus

_WAITING = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


class DatabaseWrapper(PostgresWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed:
            return False
        if conn.info.transaction_status != TransactionStatus.IDLE or _has_input(conn.fileno()):
            return bool(super().is_usable())
        return True


def _has_input(fd: int) -> bool:
    """Whether the socket has something to read, or was closed (without waiting)."""
    poller = select.poll()
    poller.register(fd, _WAITING)
    return bool(poller.poll(0))
