"""Time the ERPNext migration (opportune/erpnext, decision 0031) against a local fake ERPNext.

    .venv/bin/python bench/erpnext_migration.py                      # 20,000 opportunities
    ERP_N=5000 .venv/bin/python bench/erpnext_migration.py
    ERP_N=20000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_erpnext \\
        .venv/bin/python bench/erpnext_migration.py

A benchmark, not a test. On a database of its own (default var/bench-erpnext.sqlite3, made
afresh each run; on PostgreSQL the database must exist and be empty of opportunities): a
local HTTP server answering as ERPNext v15's REST API (opportune/erpnext/tests/fakesite.py)
with generated records in the recorded fixtures' shape: ERP_N opportunities with two items
each, a third of them Lost with a reason and a competitor, ERP_N/20 customers and leads, 50
items. The whole import runs through `import_erpnext`'s engine with pages of ERP_PAGE (500)
over real HTTP; the time, the rate and the time extrapolated to 100,000 opportunities are
printed, then a second run (nothing changed: everything "unchanged") is timed too.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
DEFAULT_DB = ROOT / "var" / "bench-erpnext.sqlite3"
OWN_DB = "DATABASE_URL" not in os.environ  # made afresh by main(), never on import
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DEFAULT_DB}")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

from opportune.crm.models import Opportunity, OpportunityItem  # noqa: E402
from opportune.erpnext.doctypes import SPECS  # noqa: E402
from opportune.erpnext.importer import migrate  # noqa: E402
from opportune.erpnext.sources import RestSource  # noqa: E402
from opportune.erpnext.tests.fakesite import KEY, SECRET, load_records, serve  # noqa: E402

N = int(os.environ.get("ERP_N", "20000"))
PAGE = int(os.environ.get("ERP_PAGE", "500"))
ZONE = ZoneInfo("Asia/Kolkata")


def records(n: int) -> dict[str, list[dict]]:
    base = load_records()
    template = base["Opportunity"][1]  # a Customer one, in the recorded shape
    item_row = base["Opportunity Item"][0]
    lead_t, cust_t = base["Lead"][0], base["Customer"][0]
    parties = max(n // 20, 1)
    items = [
        dict(base["Item"][0], name=f"BENCH-{i:03d}", item_code=f"BENCH-{i:03d}") for i in range(50)
    ]
    leads = [
        dict(lead_t, name=f"CRM-LEAD-2023-{i:05d}", email_id=f"l{i}@x.example")
        for i in range(parties)
    ]
    customers = [
        dict(cust_t, name=f"Customer {i:05d}", customer_name=f"Customer {i:05d}", lead_name=None)
        for i in range(parties)
    ]
    opportunities, opp_items, reasons, competitors = [], [], [], []
    for i in range(n):
        name = f"CRM-OPP-2023-{i:06d}"
        lost = i % 3 == 0
        from_lead = i % 2 == 0
        opportunities.append(
            dict(
                template,
                name=name,
                opportunity_from="Lead" if from_lead else "Customer",
                party_name=leads[i % parties]["name"]
                if from_lead
                else customers[i % parties]["name"],
                status="Lost" if lost else "Open",
                contact_person=None,
                opportunity_amount=float(i % 1000),
                modified=f"2023-{1 + i % 12:02d}-10 10:00:{i % 60:02d}.000000",
            )
        )
        for idx in (1, 2):
            opp_items.append(
                dict(
                    item_row,
                    name=f"oi{i}-{idx}",
                    parent=name,
                    idx=idx,
                    item_code=items[(i + idx) % 50]["name"],
                )
            )
        if lost:
            reasons.append(
                dict(base["Opportunity Lost Reason Detail"][0], name=f"lr{i}", parent=name)
            )
            competitors.append(dict(base["Competitor Detail"][0], name=f"cd{i}", parent=name))
    return {
        **{k: v for k, v in base.items() if k not in ("Quotation", "Supplier Quotation")},
        "Item": base["Item"] + items,
        "Lead": leads,
        "Customer": customers,
        "Contact": [],
        "Opportunity": opportunities,
        "Opportunity Item": opp_items,
        "Opportunity Lost Reason Detail": reasons,
        "Competitor Detail": competitors,
        "Quotation": [],
        "Supplier Quotation": [],
    }


def main() -> None:
    if OWN_DB:
        DEFAULT_DB.parent.mkdir(exist_ok=True)
        DEFAULT_DB.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    if Opportunity.objects.exists():
        sys.exit("The bench database already holds opportunities: give it an empty one.")
    by = User.objects.filter(username="bench_erpnext").first() or User.objects.create_superuser(
        "bench_erpnext", "bench@example.com", "x"
    )
    data = records(N)
    with serve(data) as site:
        for label in ("first run", "second run (nothing changed)"):
            source = RestSource(site.url, KEY, SECRET, page_size=PAGE)
            started = time.perf_counter()
            if os.environ.get("ERP_PROFILE"):  # where the time goes: the top 30 by own time
                import cProfile
                import pstats

                with cProfile.Profile() as profile:
                    report = migrate(source=source, by=by, zone=ZONE, specs=SPECS)
                pstats.Stats(profile).sort_stats("tottime").print_stats(30)
            else:
                report = migrate(source=source, by=by, zone=ZONE, specs=SPECS)
            seconds = time.perf_counter() - started
            opp = report.of("Opportunity")
            assert not report.stopped, report.stopped
            print(
                f"{label}: {N} opportunities ({opp.created} created, {opp.updated} updated, "
                f"{opp.unchanged} unchanged, {sum(opp.skipped.values())} skipped), "
                f"{OpportunityItem.objects.count()} item rows, {source.requests} requests, "
                f"{seconds:.1f} s = {N / seconds:.0f}/s; 100,000 would take ~{100_000 / N * seconds / 60:.1f} min"
            )
    assert Opportunity.objects.count() == N


if __name__ == "__main__":
    main()
