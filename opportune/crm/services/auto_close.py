"""Auto-close: a Replied opportunity whose party stays silent is closed (decision 5 of
ERPNEXT_BEHAVIOUR.md, docs/decisions/0015-auto-close-and-stale.md).

Silence is measured from ``replied_on`` (when it became Replied), never from ``modified``: an
edit does not keep a deal alive, a reply from the party does (``last_received_on`` after
``replied_on``; a received email also sets it Open again). CRM Settings
``close_opportunity_after_days`` is the number of days; 0 switches the job off.

Set-based, per batch of names (ordered by name), each in its own transaction: one conditional
UPDATE (still Replied, still due: idempotent, and a concurrent edit that answered or reopened
the deal wins) and one INSERT ... SELECT of their history records, whose change reason is the
timeline's note ("Closed automatically: no reply from the party for 15 days since it was
replied to on 2026-11-10"; one row per closed deal, not a history record and a comment); on
PostgreSQL in one statement (UPDATE ... RETURNING feeding the INSERT), on SQLite after reading
the rows under the database's write lock. A batch that fails is done again one
document at a time, so one failing document never stops the others; it is logged and counted.
Owners get one notification per run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from opportune.activities.models import NEXT_CONTACT, Event
from opportune.core.audit import current_door
from opportune.crm.models import CRMSettings, Opportunity
from opportune.crm.next_contact import drop_next_contacts
from opportune.crm.webhooks import status_changes_of
from opportune.notifications.models import Notification
from opportune.notifications.services import Message, notify_many

logger = logging.getLogger(__name__)

# how the change reason of the history records the job writes begins (closing_note says all)
CHANGE_REASON = "Closed automatically: no reply from the party"
BATCH_SIZE = 5000


@dataclass(frozen=True)
class AutoCloseResult:
    closed: int = 0
    failed: int = 0
    days: int = 0  # the setting the run used; 0: the job is off


# closed opportunities by whom to tell (the opportunity owner, else its creator; None: nobody)
Closed = Counter[int | None]


def due_for_auto_close(now: datetime, days: int) -> QuerySet[Opportunity]:
    """Replied for at least ``days`` days at ``now``, and no word from the party since."""
    return Opportunity.objects.filter(
        Q(last_received_on__isnull=True) | Q(last_received_on__lt=F("replied_on")),
        status=Opportunity.Status.REPLIED,
        replied_on__lte=now - timedelta(days=days),
    )


def close_silent_opportunities(*, now: datetime, batch_size: int = BATCH_SIZE) -> AutoCloseResult:
    """Close every due opportunity (see the module); safe to run twice, or after a crash."""
    days = CRMSettings.load().close_opportunity_after_days
    if not days:
        return AutoCloseResult(days=0)
    due = due_for_auto_close(now, days)
    closed: Closed = Counter()
    failed = 0
    after = ""
    while True:
        names = list(
            due.filter(name__gt=after).order_by("name").values_list("name", flat=True)[:batch_size]
        )
        if not names:
            break
        after = names[-1]
        try:
            with transaction.atomic():
                closed += _close_batch(due, names, now=now, days=days)
        except Exception:
            logger.exception("Auto-close: a batch failed; closing its %s one by one", len(names))
            for name in names:
                try:
                    with transaction.atomic():
                        closed += _close_batch(due, [name], now=now, days=days)
                except Exception:
                    logger.exception("Auto-close: opportunity %s could not be closed", name)
                    failed += 1
    _notify_owners(closed, now=now, days=days)
    return AutoCloseResult(closed=closed.total(), failed=failed, days=days)


def _close_batch(
    due: QuerySet[Opportunity], names: Sequence[str], *, now: datetime, days: int
) -> Closed:
    """Close the still-due opportunities among ``names``, inside the caller's transaction."""
    # Their next contacts still to come go with them (as write_status_change does for one): on
    # PostgreSQL in the batch's statement, on SQLite after it.
    with status_changes_of(names):
        if connection.vendor == "postgresql":
            return _close_batch_in_one_statement(names, now=now, days=days)
        closed = _close_batch_on_sqlite(due, names, now=now, days=days)
        drop_next_contacts(names, status=Opportunity.Status.CLOSED, now=now)
    return closed


def _close_batch_on_sqlite(
    due: QuerySet[Opportunity], names: Sequence[str], *, now: datetime, days: int
) -> Closed:
    # SQLite: the transaction holds the database's write lock from its start (BEGIN
    # IMMEDIATE), so the UPDATE changes exactly the rows read.
    rows = list(
        due.filter(name__in=names)
        .annotate(notify_id=Coalesce("opportunity_owner_id", "owner_id"))
        .values_list("name", "replied_on", "notify_id")
    )
    if not rows:
        return Counter()
    due.filter(name__in=[name for name, _, _ in rows]).update(
        status=Opportunity.Status.CLOSED, version=F("version") + 1, modified=now, modified_by=None
    )
    _insert_history({name: closing_note(days, replied_on) for name, replied_on, _ in rows}, now=now)
    return Counter(notify_id for _, _, notify_id in rows)


def _close_batch_in_one_statement(names: Sequence[str], *, now: datetime, days: int) -> Closed:
    """PostgreSQL: one statement per batch. The UPDATE re-checks each row under its lock (a
    concurrent change that answered or reopened the deal wins) and RETURNs exactly the rows
    it closed, from which the same statement writes their history (the timeline's note as
    the change reason) and removes their next contacts still to come."""
    sql, params = batch_statement(names, now=now, days=days)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return Counter(dict(cursor.fetchall()))


def batch_statement(
    names: Sequence[str], *, now: datetime, days: int
) -> tuple[str, dict[str, Any]]:
    """The PostgreSQL statement closing a batch, and its parameters (bench/ explains it)."""
    history, columns = _history_columns()
    opportunity = connection.ops.quote_name(Opportunity._meta.db_table)
    event = connection.ops.quote_name(Event._meta.db_table)
    sql = f"""
        WITH closed AS (
            UPDATE {opportunity} SET status = %(closed)s, version = version + 1,
                modified = %(now)s, modified_by_id = NULL
            WHERE name BETWEEN %(first)s AND %(last)s AND status = %(replied)s
                AND replied_on <= %(cutoff)s
                AND (last_received_on IS NULL OR last_received_on < replied_on)
            RETURNING *
        ), history AS (
            INSERT INTO {history} ({columns}, history_date, history_type,
                history_change_reason, history_door, history_user_id)
            SELECT {columns}, %(now)s, '~', %(note)s
                || to_char(replied_on AT TIME ZONE %(tz)s, 'YYYY-MM-DD'), %(door)s, NULL
            FROM closed
        ), next_contacts AS (
            DELETE FROM {event} WHERE reference_doctype = 'Opportunity'
                AND source = %(next_contact)s AND starts_on > %(now)s
                AND reference_name IN (SELECT name FROM closed)
        )
        SELECT COALESCE(opportunity_owner_id, owner_id), COUNT(*) FROM closed GROUP BY 1
    """
    params = {
        "closed": Opportunity.Status.CLOSED,
        "replied": Opportunity.Status.REPLIED,
        "now": now,
        "cutoff": now - timedelta(days=days),
        # the batch's range of names (a range scan of the primary key; a row in it that
        # became due since the batch was chosen is closed too, a row no longer due is not)
        "first": names[0],
        "last": names[-1],
        "door": current_door(),
        "note": closing_note(days, None),
        "tz": timezone.get_current_timezone_name(),
        "next_contact": NEXT_CONTACT,
    }
    return sql, params


def closing_note(days: int, replied_on: datetime | None) -> str:
    """The change reason of the history record of an opportunity the job closed, which its
    timeline shows (without the date: the text the date follows). At most 100 characters,
    as django-simple-history's column: 89 with a four-digit number of days."""
    replied = timezone.localtime(replied_on).date().isoformat() if replied_on else ""
    return (
        f"Closed automatically: no reply from the party for {days} days "
        f"since it was replied to on {replied}"
    )


def _history_columns() -> tuple[str, str]:
    """The history table and the columns it copies from the table of opportunities (the same
    names in both), quoted: what django-simple-history would write."""
    history = Opportunity.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(f.column) for f in history._meta.concrete_fields if not f.name.startswith("history_")
    )
    return quote(str(history._meta.db_table)), columns


def _insert_history(reasons: dict[str, str], *, now: datetime) -> None:
    """One history record per closed opportunity (name -> its change reason), copied by the
    database from the rows."""
    history, columns = _history_columns()
    quote = connection.ops.quote_name
    values = ", ".join(["(%s, %s)"] * len(reasons))
    sql = (
        f"WITH reasons (name, reason) AS (VALUES {values}) "
        f"INSERT INTO {history} ({columns}, history_date, history_type, "
        f"history_change_reason, history_door, history_user_id) "
        f"SELECT {columns}, %s, '~', reasons.reason, %s, NULL "
        f"FROM {quote(Opportunity._meta.db_table)} JOIN reasons USING (name)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(v for pair in reasons.items() for v in pair), now, current_door()])


def _notify_owners(closed: Closed, *, now: datetime, days: int) -> None:
    """One notification per owner per run (keyed by the run's date: a second run the same day
    adds none), with the count and a link to their closed opportunities."""
    counts = {user_id: n for user_id, n in closed.items() if user_id is not None and n}
    if not counts:
        return
    run_date = timezone.localdate(now).isoformat()
    link = reverse("crm:opportunity_list") + "?status=Closed&ordering=-modified"
    notify_many(
        [
            Message(
                user_id=user_id,
                kind=Notification.Kind.AUTO_CLOSE,
                subject=(
                    f"{n} opportunit{'y' if n == 1 else 'ies'} closed automatically "
                    f"after {days} days without a reply"
                ),
                link=link,
                key=f"auto-close:{user_id}:{run_date}",
            )
            for user_id, n in sorted(counts.items())
        ],
        now=now,
    )
