"""Time email ingestion (comms.services.ingest_email): EMAIL_N messages (default 2,000) taken in,
threaded and stored, with their effects on the opportunities (Replied -> Open, the assignment
rules), one transaction each, as the IMAP poller and inbound-email take them.

    .venv/bin/python bench/ingest_email.py
    EMAIL_N=5000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_email .venv/bin/python bench/ingest_email.py

A benchmark, not a test. On a database of its own (default var/bench-email.sqlite3, migrated
and emptied of the previous run's emails): three customers with a contact and an open
opportunity each, a lead, and the emails the corpus replies to; then the 22 messages of
opportune/comms/tests/corpus cycled, each given a Message-ID of its own (so each is new: a
duplicate would be answered from one lookup). Attachments are written to a temporary MEDIA_ROOT.
Target: at least 100 messages per second. Checks: every message stored once, the same share of
them on a document as in the corpus tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-email.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

N = int(os.environ.get("EMAIL_N", "2000"))


def main() -> None:
    call_command("migrate", verbosity=0)
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-email-media-")
    from opportune.comms.models import Communication, EmailAccount
    from opportune.comms.services import ingest_email
    from opportune.comms.tests.helpers import CORPUS, build_world
    from opportune.crm.models import Contact, Customer, Lead, Opportunity

    Communication.objects.all().delete()
    Opportunity.objects.all().delete()
    Contact.objects.all().delete()
    Customer.objects.all().delete()
    Lead.objects.all().delete()
    EmailAccount.objects.all().delete()
    user, _ = User.objects.get_or_create(username="bench-email")
    user.groups.add(Group.objects.get(name="Sales User"))
    from opportune.core.models import NamingSeries

    NamingSeries.objects.filter(prefix__startswith="CRM-").delete()
    build_world(user)
    account = EmailAccount.objects.create(name="Bench", email_id="sales@sales.example")
    corpus = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    messages = [
        f"Message-ID: <bench-{i}@bench.example>\r\n".encode() + corpus[i % len(corpus)]
        for i in range(N)
    ]
    before = Communication.objects.count()
    started, cpu_started = time.perf_counter(), time.process_time()
    for raw in messages:
        ingest_email(raw, account=account)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stored = Communication.objects.count() - before
    linked = Communication.objects.exclude(reference_name="").count() - before
    assert stored == N, (stored, N)
    rate = N / elapsed
    print(
        f"{connection.vendor}: {N} messages taken in in {elapsed:.2f} s: "
        f"{rate:.0f} messages/s ({elapsed / N * 1000:.2f} ms each); {linked} on a document"
    )
    print(
        f"this process's CPU time: {cpu:.2f} s, {N / cpu:.0f} messages per CPU second "
        f"(the rest is waiting: the database, a machine shared with other work; load average "
        f"{os.getloadavg()[0]:.1f})"
    )
    print("target >= 100 messages/s:", "met" if rate >= 100 else "NOT met")


if __name__ == "__main__":
    main()
