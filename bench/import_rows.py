"""Time an import of IMPORT_N documents (default 100,000) through core.imports: the upload
(reading and checking the file), the dry run and the import of every row ("only the valid
rows"). IMPORT_DOCTYPE is one of Lead (the default), Customer, Contact (each linked to one of
50 bench customers), Item, Opportunity and Quotation (those two with two item rows each, for
the bench customers: 2 file rows a document). Each goes in chunks through its service's bulk
twin (decision 0030): crm.services.create_leads, create_customers, create_contacts,
create_opportunities, masters.services.create_masters(ITEM), selling.services.create_quotations.
Target: the import of 100,000 rows in under a minute.

Wall time depends on the machine's load (it is shared): the process's CPU time is printed too
(on SQLite the database works in this process, so it is the whole import's work; on PostgreSQL
the backend's CPU is read from /proc and printed beside it).

    .venv/bin/python bench/import_rows.py
    IMPORT_N=10000 .venv/bin/python bench/import_rows.py
    IMPORT_N=2000 IMPORT_DOCTYPE=Quotation .venv/bin/python bench/import_rows.py
    IMPORT_N=10000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import ... bench/import_rows.py
    IMPORT_N=20000 IMPORT_PROFILE=var/leads .venv/bin/python bench/import_rows.py  # cProfile

A benchmark, not a test. On a database of its own (default var/bench-import.sqlite3, migrated
here); the documents of a previous run (of any doctype) are removed first, with their history
and search entries (on a loaded machine that removal of 100,000 documents takes minutes: it is
not timed). The passes run in-process batch after batch (core.imports.run_batch), as the job
ledger runs them, without the queue.

Measured on 2026-12-07 (docs/performance.md, "Import, every document type"), machine shared
with four other helpers at load 13-19 on 2 cores, so every wall figure is 5-15 times the CPU
time. Import CPU seconds per document (SQLite: all the work): items 1/9,449, customers
1/3,315, contacts 1/3,301, leads 1/2,180 (1/3,020 at load 10), quotations with two items
1/1,772 (100,000: 56.4 s), opportunities with two items 1/1,767 (1/2,356 at load 10);
PostgreSQL, both processes: items 1/3,463 (13.8 s Python + 15.1 s backend for 100,000),
customers 1/2,005, quotations 1/993 (about 100 s of CPU for 100,000: over the target).
"""

from __future__ import annotations

import cProfile
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-import.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402

from opportune.accounts.roles import SALES_MANAGER, SALES_USER  # noqa: E402
from opportune.core import imports  # noqa: E402
from opportune.core.models import ImportJob, SearchEntry  # noqa: E402
from opportune.crm.models import Contact, Customer, Lead, Opportunity  # noqa: E402
from opportune.masters.models import Item  # noqa: E402
from opportune.selling.models import Quotation  # noqa: E402
from opportune.testing import make_customer, make_item  # noqa: E402

N = int(os.environ.get("IMPORT_N", "100000"))
DOCTYPE = os.environ.get("IMPORT_DOCTYPE", "Lead")
PROFILE = os.environ.get("IMPORT_PROFILE", "")  # a path prefix: profile the passes
TARGET_S = 60.0
TARGET_ROWS = 100_000


def log(message: str) -> None:
    print(message, flush=True)


def the_file(n: int) -> bytes:
    lines = ["Person Name,Organization Name,Email,Phone,City,Country"]
    lines += [
        f"Bench Person {i},Bench Org {i % 997},bench{i}@import.example,+1 555 {i:07d},Paris,France"
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def customer_file(n: int) -> bytes:
    lines = ["Customer Name,Customer Type,Email Id,Phone"]
    lines += [
        f"Imported Customer {i},Company,customer{i}@import-customer.example,+1 556 {i:07d}"
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def contact_file(n: int, customers: list[str]) -> bytes:
    lines = ["First Name,Last Name,Email,Phone,Link Document Type,Link Name"]
    lines += [
        f"Bench,Contact {i},contact{i}@import-contact.example,+1 557 {i:07d},Customer,"
        f"{customers[i % len(customers)]}"
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def item_file(n: int) -> bytes:
    lines = ["Item Code,Item Name,Description,Standard Selling Rate,Default Unit of Measure"]
    lines += [
        f"BENCH-IMP-{i:06d},Bench item {i},Imported for the benchmark,{1 + i % 50}.5,Nos"
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def opportunity_file(n: int, customers: list[str]) -> bytes:
    lines = ["ID,Opportunity From,Party,Title,Item Code (Items),Quantity (Items),Rate (Items)"]
    for i in range(n):
        party = customers[i % len(customers)]
        lines.append(f"b{i},Customer,{party},Bench deal {i},BENCH-A,{1 + i % 5},10")
        lines.append(f"b{i},,,,BENCH-B,1,{5 + i % 7}")
    return ("\n".join(lines) + "\n").encode()


def quotation_file(n: int, customers: list[str]) -> bytes:
    lines = ["ID,Quotation To,Party,Title,Tax Rate,Item Code (Items),Quantity (Items),Rate (Items)"]
    for i in range(n):
        party = customers[i % len(customers)]
        lines.append(f"q{i},Customer,{party},Bench quote {i},{i % 3 * 10},BENCH-A,{1 + i % 5},10")
        lines.append(f"q{i},,,,,BENCH-B,1,{5 + i % 7}")
    return ("\n".join(lines) + "\n").encode()


# each doctype's documents made by the benchmark (to count them and remove them next time)
MADE = {
    "Lead": (Lead, Q(email_id__endswith="@import.example")),
    "Customer": (Customer, Q(customer_name__startswith="Imported Customer ")),
    "Contact": (Contact, Q(email_id__endswith="@import-contact.example")),
    "Item": (Item, Q(name__startswith="BENCH-IMP-")),
    "Opportunity": (Opportunity, Q(title__startswith="Bench deal ")),
    "Quotation": (Quotation, Q(title__startswith="Bench quote ")),
}
# the order they are removed in (a quotation refers to an opportunity, a contact to a lead or
# a customer...); a lead's own contact has the lead's address
CLEAN_ORDER = (
    MADE["Quotation"],
    MADE["Opportunity"],
    (Contact, Q(email_id__endswith="@import.example")),
    MADE["Contact"],
    MADE["Lead"],
    MADE["Customer"],
    MADE["Item"],
)


def database_cpu() -> float:
    """The CPU seconds of this connection's PostgreSQL backend so far (it runs on this
    machine: /proc), 0 on SQLite (whose work is this process's)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_pass(job: ImportJob, profile: str = "") -> tuple[float, float]:
    """One pass, batch after batch; with IMPORT_PROFILE set, under cProfile (its stats written
    to ``<IMPORT_PROFILE>.<profile>.prof``)."""
    profiler = cProfile.Profile() if PROFILE and profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    start: int | None = 0
    while start is not None:
        with transaction.atomic():  # one batch: one job of the ledger
            start = imports.run_batch(job.pk, start, queue=False)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{PROFILE}.{profile}.prof")
    return time.perf_counter() - started, time.process_time() - cpu


def imported() -> int:
    model, made = MADE[DOCTYPE]
    return model._default_manager.filter(made).count()


def clean(user: User) -> None:
    """The previous run's documents, their history and search entries (a queryset's delete
    leaves those: the tables would grow run after run)."""
    for model, made in CLEAN_ORDER:
        doctype = getattr(model, "doctype", "")
        if getattr(model, "search_fields", ()):
            names = model._default_manager.filter(made).values("pk")
            SearchEntry.objects.filter(doctype=doctype, name__in=names).delete()
        model.history.filter(made).delete()
        model._default_manager.filter(made).delete()
    ImportJob.objects.filter(user=user).delete()


def bench_customers(user: User) -> list[str]:
    """50 customers the opportunities, quotations and contacts are for (made once)."""
    customers = list(
        Customer.objects.filter(customer_name__startswith="Bench Customer ").values_list(
            "pk", flat=True
        )
    )
    for i in range(len(customers), 50):
        customers.append(make_customer(user, customer_name=f"Bench Customer {i}").pk)
    return customers


def the_data(user: User) -> bytes:
    if DOCTYPE == "Lead":
        return the_file(N)
    if DOCTYPE == "Customer":
        return customer_file(N)
    if DOCTYPE == "Item":
        return item_file(N)
    customers = bench_customers(user)
    if DOCTYPE == "Contact":
        return contact_file(N, customers)
    for code in ("BENCH-A", "BENCH-B"):
        if not Item.objects.filter(pk=code).exists():
            make_item(code, rate="10")
    if DOCTYPE == "Opportunity":
        return opportunity_file(N, customers)
    if DOCTYPE == "Quotation":
        return quotation_file(N, customers)
    raise SystemExit(f"IMPORT_DOCTYPE: one of {', '.join(MADE)}")


def main() -> None:
    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username="bench_importer")
    user.groups.add(*(Group.objects.get_or_create(name=r)[0] for r in (SALES_USER, SALES_MANAGER)))
    clean(user)
    data = the_data(user)
    log(f"{connection.vendor}: {N:,} {DOCTYPE} documents, {len(data) / 1e6:.1f} MB")
    log(f"load average at the start: {os.getloadavg()}")

    started = time.perf_counter()
    job = imports.upload(doctype=DOCTYPE, filename="bench.csv", data=data, by=user)
    upload_s = time.perf_counter() - started
    importer = imports.importer_for(user, DOCTYPE)
    mapping = imports.suggest_mapping(importer, job.header, {})
    imports.check_mapping(importer, job.header, mapping)
    ImportJob.objects.filter(pk=job.pk).update(mapping=mapping, status=ImportJob.Status.CHECKING)
    db_cpu = database_cpu()
    check_s, check_cpu = run_pass(job, "check")
    check_db, db_cpu = database_cpu() - db_cpu, database_cpu()
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == ("checked", N, 0), job.__dict__
    assert not imported()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.IMPORTING, mode="valid", processed=0, succeeded=0, failed=0
    )
    job.outcomes.all().delete()
    import_s, import_cpu = run_pass(job, "import")
    import_db = database_cpu() - db_cpu
    job.refresh_from_db()
    assert (job.status, job.succeeded) == ("done", N), job.__dict__
    assert imported() == N
    model, made = MADE[DOCTYPE]
    assert model.history.filter(made, history_door="import").count() == N

    per_row = import_s / N
    at_target = per_row * TARGET_ROWS
    verdict = "PASS" if at_target < TARGET_S else "FAIL"
    log(f"upload (read, check, store):  {upload_s:7.2f} s")
    log(
        f"dry run:                      {check_s:7.2f} s  ({N / check_s:,.0f} documents/s; "
        f"CPU {check_cpu:.2f} s, {N / check_cpu:,.0f}/CPU s)"
    )
    log(
        f"import:                       {import_s:7.2f} s  ({N / import_s:,.0f} documents/s; "
        f"CPU {import_cpu:.2f} s, {N / import_cpu:,.0f}/CPU s)"
    )
    if connection.vendor == "postgresql":
        log(
            f"PostgreSQL backend CPU: dry run {check_db:.2f} s, import {import_db:.2f} s "
            f"(import, both processes: {N / (import_cpu + import_db):,.0f} documents/CPU s)"
        )
    log(f"load average at the end: {os.getloadavg()}")
    log(
        f"import of {TARGET_ROWS:,} rows at this rate: {at_target:.1f} s "
        f"(target < {TARGET_S:.0f} s): {verdict}"
    )


if __name__ == "__main__":
    main()
