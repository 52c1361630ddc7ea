"""Time the auto-close job (crm.services.auto_close) with AC_N due opportunities (default 100,000).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_autoclose .venv/bin/python bench/auto_close.py
    AC_N=20000 DATABASE_URL=... .venv/bin/python bench/auto_close.py

A benchmark, not a test. On a database of its own (default var/bench.sqlite3, as generate.py):
the generator's background (``AC_BASE_N`` opportunities, default 10,000, of every status:
resumable, skipped when present), then AC_N Replied opportunities named ``BENCH-AC-nnnnnnn``,
silent for 16 to 60 days, written with COPY (SQLite: executemany) after the previous run's are
removed. The job is then run as the ledger runs it (one transaction) and timed; the plan of its
batch query is printed (EXPLAIN ANALYZE on PostgreSQL). Target: 100,000 in under 5 s on
PostgreSQL. Checks after the run: nothing due is left, one history record per closed
opportunity (its change reason the timeline's note), a second run closes nothing.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
os.environ.setdefault("BENCH_N", os.environ.get("AC_BASE_N", "10000"))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import generate  # noqa: E402
from opportune.core.models import Comment  # noqa: E402
from opportune.crm.models import CRMSettings, Customer, Opportunity  # noqa: E402
from opportune.crm.services.auto_close import (  # noqa: E402
    BATCH_SIZE,
    CHANGE_REASON,
    batch_statement,
    close_silent_opportunities,
    due_for_auto_close,
)
from opportune.notifications.models import Notification  # noqa: E402

N = int(os.environ.get("AC_N", "100000"))
DAYS = 15
PREFIX = "BENCH-AC-"
TARGET_S = 5.0


def log(message: str) -> None:
    print(message, flush=True)


def remove_previous_run() -> None:
    bench = Opportunity.objects.filter(name__startswith=PREFIX)
    with transaction.atomic():
        Comment.objects.filter(
            reference_doctype="Opportunity", reference_name__startswith=PREFIX
        ).delete()
        Opportunity.history.filter(name__startswith=PREFIX).delete()
        Notification.objects.filter(key__startswith="auto-close:").delete()
        bench._raw_delete(bench.db)  # no item rows, reasons or competitors: one DELETE


def seed(now) -> None:
    rng = random.Random(20261206)
    owners = list(User.objects.filter(username__startswith="rep").values_list("pk", flat=True))
    customers = list(Customer.objects.values_list("name", "customer_name")[:500])
    currency = CRMSettings.load().company_currency_id
    rows = []
    for i in range(N):
        party, party_title = customers[i % len(customers)]
        replied = now - timedelta(days=rng.randint(DAYS + 1, 60), seconds=rng.randint(0, 86399))
        created = replied - timedelta(days=rng.randint(1, 30))
        owner = rng.choice(owners)
        rows.append(
            {
                "name": f"{PREFIX}{i + 1:07d}",
                "version": 2,
                "creation": created,
                "modified": replied + timedelta(days=rng.randint(0, 10)),  # edits don't count
                "owner_id": owner,
                "modified_by_id": owner,
                "opportunity_from": "Customer",
                "customer_id": party,
                "party_name": party,
                "customer_name": party_title,
                "title": party_title,
                "status": "Replied",
                "transaction_date": created.date(),
                "currency_id": currency,
                "opportunity_owner_id": owner,
                "replied_on": replied,
                # a third heard from the party before it was replied to (still silent since)
                "last_received_on": replied - timedelta(hours=5) if i % 3 == 0 else None,
            }
        )
    with transaction.atomic():
        generate.Writer().insert(Opportunity, rows, skip=())


def explain(now) -> str:
    """The plans of a batch's two statements: choosing its names, and (PostgreSQL, run and
    rolled back) closing them."""
    query = due_for_auto_close(now, DAYS).order_by("name").values_list("name", flat=True)
    query = query[:BATCH_SIZE]
    if connection.vendor != "postgresql":
        return query.explain()
    plans = [query.explain(analyze=True, buffers=True)]
    sql, params = batch_statement(list(query), now=now, days=DAYS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plans.append("\n".join(line for (line,) in cursor.fetchall()))
        transaction.set_rollback(True)
    return "\n\n".join(plans)


def main() -> None:
    generate.main()  # the background: resumable, does nothing when already there
    close_and_check()


ORDER = 90  # last in `make bench`: it writes AC_N rows, and removes them after


def run(ctx):
    """`make bench` (bench/harness.py): the job on the bench database, min(AC_N, scale) due;
    its rows are removed afterwards, so the database stays as generated."""
    from bench.harness import Figure

    global N
    N = int(os.environ.get("AC_N", str(min(100_000, ctx.scale))))
    try:
        closed, seconds = close_and_check()
    finally:
        remove_previous_run()
    target = TARGET_S * N / 100_000 if connection.vendor == "postgresql" else None
    return [
        Figure(
            f"auto-close job, {N:,} due (one transaction)",
            seconds,
            "s",
            target,
            note=f"{closed / seconds:,.0f} closed/s",
        )
    ]


def close_and_check() -> tuple[int, float]:
    log(f"seeding {N:,} due Replied opportunities ({connection.vendor})")
    began = time.monotonic()
    remove_previous_run()
    now = timezone.now()
    seed(now)
    CRMSettings.objects.filter(pk=1).update(close_opportunity_after_days=DAYS)
    generate.analyze()
    due = due_for_auto_close(now, DAYS).count()
    log(f"seeded in {time.monotonic() - began:,.1f} s; due now: {due:,}")
    log("plan of the batch query:\n" + explain(now))

    closing = Opportunity.history.filter(history_change_reason__startswith=CHANGE_REASON)
    history_before = closing.count()
    reverse("crm:opportunity_list")  # the URL map is loaded once per process, not per run
    began = time.monotonic()
    with transaction.atomic():  # as the job ledger runs it: one transaction
        result = close_silent_opportunities(now=now)
    seconds = time.monotonic() - began

    history = closing.count()
    assert result.closed == due and result.failed == 0, result
    assert not due_for_auto_close(now, DAYS).exists()
    assert history - history_before == due, (history, history_before, due)
    again = close_silent_opportunities(now=now)
    assert again.closed == 0, again
    verdict = "PASS" if seconds < TARGET_S or connection.vendor != "postgresql" else "FAIL"
    log(
        f"auto-close: {result.closed:,} closed, {result.failed} failed in {seconds:.2f} s "
        f"({result.closed / seconds:,.0f}/s), {Notification.objects.count()} notifications; "
        f"target < {TARGET_S:.0f} s on PostgreSQL: {verdict}; second run closed 0"
    )
    return result.closed, seconds


if __name__ == "__main__":
    main()
