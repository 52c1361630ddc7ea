"""Fill a benchmark database with N opportunities (default 1,000,000) and the parties they need.

    BENCH_N=1000000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/generate.py
    .venv/bin/python bench/generate.py            # SQLite var/bench.sqlite3, BENCH_N opportunities

A data generator, not business code: rows are written straight into the tables (PostgreSQL
COPY, SQLite executemany) in chunks of one transaction each, with every model constraint
respected (party_name matches opportunity_from and its lead/customer, amounts >= 0, ...).
Deterministic (seeded) and resumable: a chunk already written is skipped, so running it again
after a crash carries on, and running it on a complete database does nothing.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from opportune.accounts.roles import SALES_MANAGER, SALES_USER  # noqa: E402
from opportune.core.models import NamingSeries, SearchEntry, expand_series  # noqa: E402
from opportune.crm.defaults import SALES_STAGES  # noqa: E402
from opportune.crm.models import (  # noqa: E402
    Campaign,
    Competitor,
    Customer,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityItem,
)
from opportune.crm.stage_totals import compact_stage_totals  # noqa: E402
from opportune.masters.models import (  # noqa: E402
    Currency,
    CurrencyExchange,
    Industry,
    Item,
    ItemGroup,
    Territory,
)
from opportune.reports.snapshots import History, keep_snapshots  # noqa: E402
from opportune.reports.stories import story  # noqa: E402


def _words(text: str) -> list[str]:
    return text.split()


SEED = 20261128
CHUNK = 20_000
YEARS = 3
MANAGER = "bench_manager"
REPS = [f"rep{i:02d}" for i in range(1, 37)]
MANAGERS = [MANAGER, "boss1", "boss2", "boss3"]
# code, weight, rate to USD (company currency), precision, typical size vs USD
CURRENCIES = [
    ("USD", 60, "1", 2, 1),
    ("EUR", 18, "1.08", 2, 1),
    ("GBP", 10, "1.27", 2, 1),
    ("INR", 8, "0.012", 2, 80),
    ("JPY", 4, "0.0067", 0, 150),
]
TERRITORIES = [
    "North America",
    "South America",
    "United Kingdom",
    "Germany",
    "France",
    "Nordics",
    "Benelux",
    "Iberia",
    "Italy",
    "India",
    "Japan",
    "Australia",
]
INDUSTRIES = [
    "Manufacturing",
    "Retail",
    "Healthcare",
    "Education",
    "Finance",
    "Logistics",
    "Energy",
    "Construction",
    "Hospitality",
    "Software",
    "Agriculture",
    "Media",
]
CAMPAIGNS = [
    f"{season} {year} Promo" for year in (2024, 2025, 2026) for season in ("Spring", "Autumn")
] + ["Trade Fair", "Webinar Series"]
COMPETITORS = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Cyberdyne",
    "Soylent",
    "Tyrell",
]
LOST_REASONS = ["Too expensive", "Chose a competitor", "No budget", "No response", "Timing"]
WORDS_A = _words("""Alpine Amber Apex Arctic Atlas Aurora Azure Beacon Birch Blue Bold Boulder Bright
Brook Cedar Central Citadel Clear Cobalt Coastal Comet Copper Coral Crest Crystal Delta Desert
Diamond Eagle East Echo Ember Emerald Evergreen Falcon Fern First Fjord Forest Fox Frontier
Galaxy Garnet Glacier Global Golden Granite Green Harbor Harvest Hawk Highland Horizon Indigo
Iron Island Ivory Jade Jasper Juniper Keystone Lake Liberty Lime Linden Lotus Lunar Maple Marble
Meadow Mercury Meridian Metro Midland Mint Monarch Mountain North Nova Oak Ocean Olive Omega Onyx
Orbit Orchid Pacific Paragon Pearl Pine Pinnacle Pioneer Polar Prairie Prime Quartz Radiant Raven
Redwood Ridge River Royal Ruby Sage Sapphire Silver Sky Solar Spring Star Sterling Stone Summit
Sun Swift Terra Thunder Titan Topaz Trinity Union Valley Vector Venture Vista West Willow Zenith""")
WORDS_B = _words("""Analytics Apparel Architects Automation Aviation Bakery Bio Brewing Builders Cables
Capital Chemicals Clinic Cloud Components Construction Consulting Dairy Data Design Devices
Dynamics Electric Electronics Energy Engineering Fabrics Farms Foods Foundry Freight Furniture
Glass Graphics Health Hotels Imaging Industries Instruments Insurance Interiors Labs Leasing
Logistics Machinery Marine Media Medical Metals Mining Motors Networks Optics Packaging Paper
Pharma Plastics Power Printing Produce Robotics Security Semiconductors Shipping Software Solar
Steel Studios Supplies Systems Telecom Textiles Tools Transport Travel Ventures Water Wireless""")
SUFFIXES = ["Ltd", "Inc", "GmbH", "LLC", "SA", "Group"]
FIRST = _words("""James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
Richard Susan Joseph Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony Betty
Mark Sandra Paul Ashley Steven Emily Andrew Donna Kenneth Michelle Joshua Carol Kevin Amanda
Brian Melissa George Deborah Timothy Stephanie Ahmed Rebecca Ravi Laura Hiroshi Sharon Pedro
Cynthia Lars Kathleen Omar Amy Jose Angela Luca Priya Yuki Sofia Ingrid Mateo Fatima Chen""")
LAST = _words("""Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Tanaka Muller
Schmidt Rossi Dubois Silva Kowalski Andersson Jensen Novak Sato Kim Singh Khan Okafor""")
DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "corp.example"]
COMBOS = len(WORDS_A) * len(WORDS_B) * len(SUFFIXES)
STAGE_WEIGHTS = [25, 18, 14, 12, 10, 8, 7, 6]
ACTIVE = [("Open", 60), ("Replied", 20), ("Quotation", 20)]
DONE = [("Converted", 35), ("Closed", 25), ("Lost", 40)]
TYPES = [("Sales", 80), ("Support", 12), ("Maintenance", 8)]
ITEMS = 300
CENT = Decimal("0.01")
T = TypeVar("T")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def weighted(pairs):
    values = [p[0] for p in pairs]
    cum, total = [], 0
    for p in pairs:
        total += p[1]
        cum.append(total)
    return values, cum


def pick(rng: random.Random, table) -> object:
    values, cum = table
    return values[_bisect(cum, rng.random() * cum[-1])]


def _bisect(cum, x):
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def money(value: Decimal, precision: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


# --- low-level writing ---------------------------------------------------------------------------
class Writer:
    """Insert plain rows into a model's table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"

    def insert(self, model, rows: list[dict], *, skip=("id",)) -> None:
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if f.attname not in skip]
        defaults = {f.attname: f.get_default() for f in fields}
        columns = [f.column for f in fields]
        table = model._meta.db_table
        raw = connection.connection
        if self.pg:
            cols = ", ".join(f'"{c}"' for c in columns)
            with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row.get(f.attname, defaults[f.attname]) for f in fields])
        else:
            quoted = ", ".join(f'"{c}"' for c in columns)  # "references" is a keyword
            sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'
            cur = raw.cursor()
            cur.executemany(
                sql,
                ([_lite(row.get(f.attname, defaults[f.attname])) for f in fields] for row in rows),
            )
            cur.close()

    def insert_pairs(self, table: str, columns: tuple[str, str], rows: list[tuple]) -> None:
        raw = connection.connection
        if self.pg:
            with (
                raw.cursor() as cur,
                cur.copy(f'COPY "{table}" ({columns[0]}, {columns[1]}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            cur = raw.cursor()
            cur.executemany(
                f'INSERT INTO "{table}" ({columns[0]}, {columns[1]}) VALUES (?, ?)', rows
            )
            cur.close()


def in_chunks(rows: Iterable[T]) -> Iterator[list[T]]:
    """``rows`` in lists of CHUNK (the last one shorter): a pass writes each in a transaction."""
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _lite(value):
    """Values as Django stores them in SQLite (naive UTC datetimes, ISO dates, decimal text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- plan and metadata ---------------------------------------------------------------------------
class Plan:
    """Everything that must stay the same between a run and its resumption."""

    def __init__(self, n: int, start: datetime):
        self.n = n
        self.start = start
        self.end = start + timedelta(days=365 * YEARS)
        self.span_us = YEARS * 365 * 86400 * 10**6  # integer arithmetic: names never collide
        self.leads = max(100, n // 5)
        self.customers = max(100, n // 10)
        self.chunks = math.ceil(n / CHUNK)
        self.lead_prefix = expand_series(Lead.naming_series, start)

    def slot(self, i: int) -> datetime:
        return self.start + timedelta(microseconds=self.span_us * i // self.n)

    def created_at(self, i: int, rng: random.Random) -> datetime:
        step_us = self.span_us // self.n
        return self.slot(i) + timedelta(microseconds=int(rng.random() * step_us * 0.9))

    def first_index_of(self, when: datetime) -> int:
        """The first opportunity index whose slot is at or after ``when`` (names are per year)."""
        offset_us = (when - self.start) // timedelta(microseconds=1)
        return max(0, -(-(offset_us * self.n) // self.span_us))

    def opportunity_name(self, i: int) -> str:
        year = self.slot(i).year
        number = i - self.first_index_of(datetime(year, 1, 1, tzinfo=UTC)) + 1
        return f"CRM-OPP-{year}-{number:05d}"


def load_plan(n: int) -> Plan:
    if "bench_meta" not in connection.introspection.table_names() and Opportunity.objects.exists():
        sys.exit(
            "Refusing: this database holds opportunities the generator did not make. "
            "Point DATABASE_URL at a database of its own (default var/bench.sqlite3)."
        )
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key varchar(40) PRIMARY KEY, "
            "value varchar(200) NOT NULL)"
        )
        cur.execute("SELECT key, value FROM bench_meta")
        meta = dict(cur.fetchall())
        if not meta:
            start = datetime.now(UTC).replace(
                hour=0, minute=0, second=0, microsecond=0
            ) - timedelta(days=365 * YEARS)
            cur.execute(
                "INSERT INTO bench_meta (key, value) VALUES (%s, %s), (%s, %s)",
                ["n", str(n), "start", start.isoformat()],
            )
            meta = {"n": str(n), "start": start.isoformat()}
    if int(meta["n"]) != n:
        sys.exit(
            f"This database was generated with BENCH_N={meta['n']}, not {n}: use another "
            "DATABASE_URL (or drop it) to generate a different size."
        )
    return Plan(n, datetime.fromisoformat(meta["start"]))


# --- masters, users, parties ---------------------------------------------------------------------
def ensure_masters() -> dict:
    for name in TERRITORIES:
        Territory.objects.get_or_create(
            name=name, defaults={"parent_territory_id": "All Territories"}
        )
    Industry.objects.bulk_create([Industry(name=n) for n in INDUSTRIES], ignore_conflicts=True)
    Campaign.objects.bulk_create([Campaign(name=n) for n in CAMPAIGNS], ignore_conflicts=True)
    Competitor.objects.bulk_create([Competitor(name=n) for n in COMPETITORS], ignore_conflicts=True)
    codes = [c[0] for c in CURRENCIES]
    Currency.objects.filter(name__in=codes).update(enabled=True)
    CurrencyExchange.objects.bulk_create(
        [
            CurrencyExchange(
                from_currency_id=code,
                to_currency_id="USD",
                date=date(2020, 1, 1),
                exchange_rate=Decimal(rate),
            )
            for code, _w, rate, _p, _s in CURRENCIES
            if code != "USD"
        ],
        ignore_conflicts=True,
    )
    ItemGroup.objects.bulk_create(
        [ItemGroup(name=n) for n in ("Products", "Services")], ignore_conflicts=True
    )
    rng = random.Random(SEED)
    Item.objects.bulk_create(
        [
            Item(
                name=f"ITEM-{k:05d}",
                item_name=f"{rng.choice(WORDS_A)} {rng.choice(WORDS_B)} "
                f"{rng.choice(['Kit', 'Module', 'Unit', 'Licence', 'Service', 'Pack'])}",
                item_group_id="Products" if k % 4 else "Services",
                stock_uom_id="Nos" if k % 4 else "Hour",
                standard_rate=Decimal(rng.choice([25, 50, 99, 150, 250, 480, 990, 1500, 4000])),
            )
            for k in range(1, ITEMS + 1)
        ],
        ignore_conflicts=True,
    )
    items = list(
        Item.objects.filter(name__startswith="ITEM-")
        .order_by("name")
        .values_list("name", "item_name", "item_group_id", "stock_uom_id", "standard_rate")
    )
    sources = list(LeadSource.objects.order_by("name").values_list("name", flat=True))
    return {"items": items, "sources": sources}


def ensure_users() -> list[int]:
    sales, managers = Group.objects.get(name=SALES_USER), Group.objects.get(name=SALES_MANAGER)
    ids = []
    for username in REPS + MANAGERS:
        first, last = username.capitalize(), "Bench"
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@bench.example"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(sales)
            if username in MANAGERS:
                user.groups.add(managers)
        ids.append(user.pk)
    return ids


def customer_name(k: int) -> str:
    combos = COMBOS
    j = (k * 7919) % combos  # spread the combinations
    a, rest = divmod(j, len(WORDS_B) * len(SUFFIXES))
    b, s = divmod(rest, len(SUFFIXES))
    base = f"{WORDS_A[a]} {WORDS_B[b]} {SUFFIXES[s]}"
    return base if k < combos else f"{base} - {k // combos + 1}"


def lead_row(plan: Plan, j: int, users: list[int]) -> dict:
    rng = random.Random(SEED * 31 + j)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    created = plan.start - timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86399))
    company = "" if rng.random() < 0.3 else customer_name(rng.randrange(COMBOS))
    owner = rng.choice(users)
    return {
        "name": lead_name(plan, j),
        "version": 1,
        "creation": created,
        "modified": created,
        "owner_id": owner,
        "modified_by_id": owner,
        "lead_name": f"{first} {last}",
        "company_name": company,
        "email_id": f"{first}.{last}{j}@{rng.choice(DOMAINS)}".lower(),
        "phone": f"+1 555 {j % 10000:04d}",
        "status": "Opportunity",
        "source_id": None,
        "territory_id": rng.choice(TERRITORIES),
        "industry_id": rng.choice(INDUSTRIES),
        "lead_owner_id": owner,
    }


def lead_name(plan: Plan, j: int) -> str:
    return f"{plan.lead_prefix}{j + 1:06d}"


def customer_row(plan: Plan, k: int, users: list[int]) -> dict:
    rng = random.Random(SEED * 37 + k)
    created = plan.start - timedelta(days=rng.randint(1, 800), seconds=rng.randint(0, 86399))
    name = customer_name(k)
    owner = rng.choice(users)
    return {
        "name": name,
        "version": 1,
        "creation": created,
        "modified": created,
        "owner_id": owner,
        "modified_by_id": owner,
        "customer_name": name,
        "customer_type": "Company",
        "customer_group_id": rng.choice(["Commercial", "Commercial", "Government", "Individual"]),
        "territory_id": rng.choice(TERRITORIES),
        "industry_id": rng.choice(INDUSTRIES),
        "email_id": f"sales{k}@{name.split()[0].lower()}.example",
    }


def ensure_parties(writer: Writer, plan: Plan, users: list[int]) -> None:
    for model, count, make, label in (
        (Lead, plan.leads, lead_row, "leads"),
        (Customer, plan.customers, customer_row, "customers"),
    ):
        for start in range(0, count, CHUNK):
            stop = min(count, start + CHUNK)
            last = make(plan, stop - 1, users)["name"]
            if model.objects.filter(pk=last).exists():
                continue
            rows = [make(plan, k, users) for k in range(start, stop)]
            with transaction.atomic():
                writer.insert(model, rows)
                writer.insert(SearchEntry, [search_entry(row, model) for row in rows])
        log(f"{label}: {count:,}")


# --- opportunities -------------------------------------------------------------------------------
class OpportunityMaker:
    def __init__(self, plan: Plan, users: list[int], masters: dict):
        self.plan = plan
        self.users = users
        self.owner_table = weighted([(u, 1 + (k % 7)) for k, u in enumerate(users)])
        self.items = masters["items"]
        self.sources = masters["sources"]
        self.currencies = weighted([(c, c[1]) for c in CURRENCIES])
        self.stages = weighted(list(zip([s[0] for s in SALES_STAGES], STAGE_WEIGHTS, strict=True)))
        self.probability = {s[0]: Decimal(s[1]) for s in SALES_STAGES}
        self.active, self.done, self.types = weighted(ACTIVE), weighted(DONE), weighted(TYPES)
        self.now = datetime.now(UTC)
        self.lead_cache: dict[int, dict] = {}

    def chunk(self, c: int) -> tuple[list[dict], list[dict], list[tuple], list[dict]]:
        opportunities, items, lost, history = [], [], [], []
        rng = random.Random(SEED * 1000003 + c)
        stages = [(s[0], Decimal(s[1])) for s in SALES_STAGES]
        for i in range(c * CHUNK, min(self.plan.n, (c + 1) * CHUNK)):
            opp, rows = self.one(i, rng)
            opportunities.append(opp)
            items.extend(rows)
            if opp["status"] == "Lost":
                lost.append((opp["name"], rng.choice(LOST_REASONS)))
            # its past: stage moves, slips, an amount revision and its outcome (issue 15)
            for record in story(rng, opp, stages=stages, until=self.now):
                record["history_user_id"] = opp["owner_id"]
                history.append(record)
        return opportunities, items, lost, history

    def one(self, i: int, rng: random.Random) -> tuple[dict, list[dict]]:
        plan = self.plan
        created = plan.created_at(i, rng)
        age = i / plan.n  # 0 = oldest, 1 = newest: recent ones are mostly still being worked
        active = rng.random() < 0.2 + 0.7 * age * age
        status = pick(rng, self.active if active else self.done)
        stage = pick(rng, self.stages)
        code, _w, rate, precision, scale = pick(rng, self.currencies)
        rate = Decimal(rate)
        owner = pick(rng, self.owner_table)
        # last touched some time in the 90 days after creation (never in the future)
        window = min(timedelta(days=90), max(self.now - created, timedelta(0)))
        modified = created + window * rng.random()
        opp = {
            "name": plan.opportunity_name(i),
            "version": rng.randint(1, 6),
            "creation": created,
            "modified": modified,
            "owner_id": owner,
            "modified_by_id": owner,
            "opportunity_type_id": pick(rng, self.types),
            "status": status,
            "sales_stage_id": stage,
            "source_id": rng.choice(self.sources) if rng.random() < 0.9 else None,
            "campaign_id": rng.choice(CAMPAIGNS) if rng.random() < 0.2 else None,
            "opportunity_owner_id": owner,
            "transaction_date": created.date(),
            "expected_closing": (
                created.date() + timedelta(days=rng.randint(7, 180))
                if rng.random() < 0.92
                else None
            ),
            "probability": self.probability[stage],
            "currency_id": code,
            "conversion_rate": rate,
            "territory_id": rng.choice(TERRITORIES),
        }
        self._party(opp, rng)
        if status == "Replied":
            opp["replied_on"] = modified
        if active and rng.random() < 0.2:
            opp["contact_by_id"] = owner
            opp["contact_date"] = self.now + timedelta(minutes=rng.randint(60, 30 * 1440))
        rows = self._items(opp, rng, precision, rate) if rng.random() < 0.3 else []
        if not rows:
            amount = money(Decimal(math.exp(rng.gauss(8.8, 1.1)) * scale), precision)
            opp["opportunity_amount"] = amount
            opp["base_opportunity_amount"] = money(amount * rate, 2)
        return opp, rows

    def _party(self, opp: dict, rng: random.Random) -> None:
        if rng.random() < 0.6:
            k = rng.randrange(self.plan.customers)
            name = customer_name(k)
            opp.update(
                opportunity_from="Customer",
                party_name=name,
                customer_id=name,
                customer_name=name,
                title=name,
                contact_email=f"sales{k}@{name.split()[0].lower()}.example",
            )
        else:
            j = rng.randrange(self.plan.leads)
            lead = self.lead_cache.get(j)
            if lead is None:
                lead = self.lead_cache[j] = lead_row(self.plan, j, self.users)
            title = lead["company_name"] or lead["lead_name"]
            opp.update(
                opportunity_from="Lead",
                party_name=lead["name"],
                lead_id=lead["name"],
                lead_creation=lead["creation"],  # the copy the funnel reads (crm 0021)
                lead_creation_of=lead["name"],
                customer_name=title,
                title=title,
                contact_display=lead["lead_name"],
                contact_email=lead["email_id"],
            )

    def _items(self, opp: dict, rng: random.Random, precision: int, rate: Decimal) -> list[dict]:
        rows, total, base_total = [], Decimal(0), Decimal(0)
        for idx in range(1, rng.randint(1, 3) + 1):
            code, item_name, group, uom, standard = rng.choice(self.items)
            qty = Decimal(rng.randint(1, 20))
            item_rate = money(standard / rate, precision)
            amount = money(qty * item_rate, precision)
            base_amount = money(amount * rate, 2)
            rows.append(
                {
                    "opportunity_id": opp["name"],
                    "idx": idx,
                    "item_code_id": code,
                    "item_name": item_name,
                    "item_group_id": group,
                    "qty": qty,
                    "uom_id": uom,
                    "rate": item_rate,
                    "amount": amount,
                    "base_rate": money(item_rate * rate, 2),
                    "base_amount": base_amount,
                }
            )
            total += amount
            base_total += base_amount
        opp.update(
            with_items=True,
            total=total,
            base_total=base_total,
            opportunity_amount=total,
            base_opportunity_amount=money(total * rate, 2),
        )
        return rows


def ensure_opportunities(writer: Writer, plan: Plan, maker: OpportunityMaker) -> None:
    lost_table = Opportunity.lost_reasons.through._meta.db_table
    began = time.monotonic()
    for c in range(plan.chunks):
        first = plan.opportunity_name(c * CHUNK)
        if Opportunity.objects.filter(pk=first).exists():
            continue
        opportunities, items, lost, history = maker.chunk(c)
        with transaction.atomic():
            writer.insert(Opportunity, opportunities)
            writer.insert(History, history, skip=("history_id",))
            writer.insert(OpportunityItem, items)
            writer.insert_pairs(lost_table, ("opportunity_id", "opportunitylostreason_id"), lost)
            writer.insert(SearchEntry, [search_entry(opp, Opportunity) for opp in opportunities])
        done = min(plan.n, (c + 1) * CHUNK)
        rate = done / max(time.monotonic() - began, 1e-6)
        log(f"opportunities: {done:,} / {plan.n:,} ({rate:,.0f}/s this run)")


def search_entry(row: dict, model: type[Lead | Customer | Opportunity]) -> dict:
    """The text search's entry of a generated document (an opportunity, a lead, a customer),
    as its save would write it (core.search; the global search reads the parties' too)."""
    values = (row.get(field) for field in model.search_fields)
    text = "\n".join(str(value) for value in values if value not in (None, ""))
    return {"doctype": model.doctype, "name": row["name"], "text": text}


def set_naming_series(plan: Plan) -> None:
    """Move each series past the generated names, so the real services keep numbering."""
    prefixes = {expand_series(Lead.naming_series, plan.start): plan.leads}
    year = plan.start.year
    while year <= plan.end.year:
        nxt = plan.first_index_of(datetime(year + 1, 1, 1, tzinfo=UTC))
        first = plan.first_index_of(datetime(year, 1, 1, tzinfo=UTC))
        if min(nxt, plan.n) > first:
            prefixes[f"CRM-OPP-{year}-"] = min(nxt, plan.n) - first
        year += 1
    for prefix, last in prefixes.items():
        NamingSeries.move_past(prefix, last)  # its sequence too, on PostgreSQL (decision 0040)


# --- what the services keep beside the opportunities ---------------------------------------------
RULE = "Bench rota"


def ensure_rule() -> None:
    """The bench's assignment rule, "Bench rota", exists and is enabled (idempotent; the web
    benchmark calls it too, so its creates always run a round-robin rule)."""
    from opportune.automation.models import AssignmentRule
    from opportune.automation.services import create_assignment_rule

    if not AssignmentRule.objects.filter(pk=RULE).exists():
        # active, as in a real installation: every new Sales opportunity (the benchmarks'
        # creates) runs it, and it hands the deal to the sales reps in turn
        create_assignment_rule(
            data={
                "name": RULE,
                "document_type": "Opportunity",
                "priority": 1,
                "description": "New Sales opportunities go to the sales reps in turn.",
                "assign_condition": {
                    "match": "all",
                    "conditions": [{"field": "opportunity_type", "op": "eq", "value": "Sales"}],
                },
                "close_condition": {
                    "match": "any",
                    "conditions": [
                        {"field": "status", "op": "in", "value": ["Lost", "Closed", "Converted"]}
                    ],
                },
                "rule": "Round Robin",
                "users": REPS,
            },
            by=User.objects.get(username=MANAGER),
        )
    AssignmentRule.objects.filter(pk=RULE, disabled=True).update(disabled=False)


def ensure_activity(writer: Writer, plan: Plan) -> None:
    """The rows the services write beside each opportunity, in their proportions: one
    assignment per opportunity (by the "Bench rota" rule, to its owner; open while the deal is
    active, closed after), one next-contact event per opportunity that has a next contact (owned
    by ``contact_by``, reminded at the time), and the assignment's notification for every
    opportunity of the last 90 days (read when older than a week). Skipped when written already
    (one transaction per chunk of opportunities, by name)."""
    from opportune.activities.models import NEXT_CONTACT, Event
    from opportune.automation.models import Assignment
    from opportune.notifications.models import Notification

    ensure_rule()
    now = datetime.now(UTC)
    rows = (
        Opportunity.objects.filter(name__startswith="CRM-OPP-")  # not other benchmarks' rows
        .order_by("name")
        .values_list(
            "name",
            "opportunity_owner_id",
            "status",
            "creation",
            "contact_by_id",
            "contact_date",
            "contact_display",
            "opportunity_from",
            "customer_name",
        )  # fmt: skip
        .iterator(chunk_size=CHUNK)
    )
    active = {"Open", "Replied", "Quotation"}
    written = 0

    def flush(batch: list) -> None:
        nonlocal written
        names = [row[0] for row in batch]
        written += len(batch)
        if Assignment.objects.filter(assignment_rule=RULE, reference_name=names[0]).exists():
            return  # this chunk was written by an earlier run
        assigned = set(
            Assignment.objects.filter(
                reference_type="Opportunity", reference_name__in=names
            ).values_list("reference_name", flat=True)
        )
        with_event = set(
            Event.objects.filter(
                reference_doctype="Opportunity", reference_name__in=names, source=NEXT_CONTACT
            ).values_list("reference_name", flat=True)
        )
        assignments, events, notifications = [], [], []
        for name, owner, status, created, contact_by, contact_date, display, kind, title in batch:
            if name in assigned:  # made by the services (a benchmark's create): theirs stand
                continue
            assignments.append(
                {
                    "reference_type": "Opportunity",
                    "reference_name": name,
                    "allocated_to_id": owner,
                    "status": "Open" if status in active else "Closed",
                    "assignment_rule": RULE,
                    "reason": "round robin: next in the rota",
                    "creation": created,
                }
            )
            if contact_by and contact_date and name not in with_event:
                party = "customer" if kind == "Customer" else "lead"
                events.append(
                    {
                        "subject": (
                            f"Contact {display}" if display else f"Contact {party} {title}"
                        )[:140],
                        "starts_on": contact_date,
                        "owner_id": contact_by,
                        "reference_doctype": "Opportunity",
                        "reference_name": name,
                        "source": NEXT_CONTACT,
                        "remind_at": contact_date,
                        "uid": f"bench-next-contact-{name}@opportune",
                        "created": created,
                        "modified": created,
                    }
                )
            if now - created < timedelta(days=90):
                notifications.append(
                    {
                        "user_id": owner,
                        "kind": "assignment",
                        "subject": f"Opportunity {name} was assigned to you",
                        "link": f"/crm/opportunities/{name}/",
                        "reference_type": "Opportunity",
                        "reference_name": name,
                        "read": now - created > timedelta(days=7),
                        "creation": created,
                    }
                )
        with transaction.atomic():
            writer.insert(Assignment, assignments)
            writer.insert(Event, events)
            writer.insert(Notification, notifications)
        log(f"assignments, events, notifications: {written:,} / {plan.n:,} opportunities")

    for batch in in_chunks(rows):
        flush(batch)


# what a sales team writes on its deals: timeline lines and e-mails, in these proportions
COMMENTED = 0.25  # share of opportunities with a user's comments (1-3)
ANSWERED_DONE = 0.9  # share of closed deals (Replied and on) the party was written to
ANSWERED_OPEN = 0.4  # share of Open ones already written to
EXCHANGES = 0.45  # chance of one more sent/received pair after the first (geometric)
COMMENTS = [
    "Called them, they want a revised offer by Friday.",
    "Budget confirmed for this quarter; decision maker is the CFO.",
    "Sent the product sheet and the reference list.",
    "They are comparing us with two other vendors.",
    "Asked for a demo next week, waiting for their dates.",
    "Procurement needs our company documents before the order.",
    "Discount approved up to 8 %.",
    "Visited the site; the installation looks simple.",
]
BODIES = [
    "Thank you for your enquiry. Please find our offer attached; the prices are valid for "
    "30 days. I would be glad to walk you through it on a short call this week.",
    "Following our conversation, here are the details you asked for: delivery in four weeks, "
    "installation included, one year of support. Let me know if anything is missing.",
    "Thanks for getting back to us. We can adjust the quantities as discussed and keep the "
    "unit price. Could you confirm the delivery address and the contact for invoicing?",
]
REPLIES = [
    "Thanks, this looks good. We will discuss it internally and come back to you next week.",
    "Could you send a version with the extended warranty? Our manager asked about it.",
    "We received the offer. The quantities are fine; can you do better on the price?",
]


def first_response_minutes(rng: random.Random) -> float:
    """Minutes until the party is first written to: log-normal, median ~3 hours, a long tail
    of days (the first-response report's spread)."""
    return min(math.exp(rng.gauss(5.2, 1.4)), 60 * 24 * 20)


def set_first_responses(answered: list[tuple]) -> None:
    """Write (name, first_responded_on, minutes, business minutes) onto the opportunities that
    have none: one statement on PostgreSQL (its statement-level triggers run once), one per row
    on SQLite."""
    sql = (
        "SET first_responded_on = {0}, mins_to_first_response = {1}, "
        "business_mins_to_first_response = {2}"
    )
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            names, ats, walls, business = (list(column) for column in zip(*answered, strict=True))
            cur.execute(
                "UPDATE crm_opportunity o "
                + sql.format("v.at", "v.wall", "v.business")
                + " FROM (SELECT unnest(%s::varchar[]) AS name, unnest(%s::timestamptz[]) AS at,"
                " unnest(%s::numeric[]) AS wall, unnest(%s::numeric[]) AS business) v"
                " WHERE o.name = v.name AND o.first_responded_on IS NULL",
                [names, ats, walls, business],
            )
        else:
            cur.executemany(
                "UPDATE crm_opportunity "
                + sql.format("%s", "%s", "%s")
                + " WHERE name = %s AND first_responded_on IS NULL",
                [(_lite(at), _lite(wall), _lite(biz), name) for name, at, wall, biz in answered],
            )


def ensure_conversation(writer: Writer, plan: Plan) -> None:
    """The timeline and the e-mails of each generated opportunity, as the services write them:
    the assignment's timeline line ("Assigned to ... by rule Bench rota"), a user's comments on
    a quarter of the deals, and the e-mails: the first reply to the party (sent by the owner;
    ``first_responded_on``, ``mins_to_first_response`` and its business minutes set from it, as
    comms does), the party's answer (a Replied deal's last received mail is at ``replied_on``)
    and further exchanges. Closed deals were mostly answered, Open ones less often. At 100,000:
    150,031 timeline lines and 144,744 e-mails (77,085 deals answered). Skipped for the
    opportunities that have their assignment line already (an earlier run, or made by the
    services: theirs stand); one transaction per chunk."""
    import zlib

    from opportune.comms.models import Communication
    from opportune.core.business_hours import business_minutes_between, minutes_of
    from opportune.core.models import Comment
    from opportune.crm.models import CRMSettings

    schedule = CRMSettings.current().business_schedule()
    usernames = dict(User.objects.values_list("pk", "username"))
    full_names = {
        pk: f"{first} {last}".strip()
        for pk, first, last in User.objects.values_list("pk", "first_name", "last_name")
    }
    rule_line = f" by rule {RULE}: round robin: next in the rota"
    now = datetime.now(UTC)
    done_statuses = {"Replied", "Quotation", "Converted", "Closed", "Lost"}
    rows = (
        Opportunity.objects.filter(name__startswith="CRM-OPP-")
        .order_by("name")
        .values_list(
            "name",
            "opportunity_owner_id",
            "status",
            "creation",
            "modified",
            "replied_on",
            "contact_email",
            "contact_display",
            "title",
            "first_responded_on",
        )  # fmt: skip
        .iterator(chunk_size=CHUNK)
    )
    written = 0

    def flush(batch: list) -> None:
        nonlocal written
        names = [row[0] for row in batch]
        written += len(batch)
        have = set(
            Comment.objects.filter(
                reference_doctype="Opportunity",
                reference_name__in=names,
                comment_type=Comment.Type.ASSIGNED,
            ).values_list("reference_name", flat=True)
        )
        rng = random.Random(SEED * 7919 + zlib.crc32(names[0].encode()))
        comments, mails, answered = [], [], []
        for (
            name,
            owner,
            status,
            created,
            modified,
            replied_on,
            email,
            display,
            title,
            responded,
        ) in batch:
            if name in have:
                continue
            comments.append(
                {
                    "reference_doctype": "Opportunity",
                    "reference_name": name,
                    "comment_type": Comment.Type.ASSIGNED,
                    "content": f"Assigned to {usernames.get(owner, '')}{rule_line}",
                    "creation": created,
                }
            )
            last = max(modified, created)
            if rng.random() < COMMENTED:
                for _ in range(rng.randint(1, 3)):
                    comments.append(
                        {
                            "reference_doctype": "Opportunity",
                            "reference_name": name,
                            "comment_type": Comment.Type.COMMENT,
                            "content": rng.choice(COMMENTS),
                            "owner_id": owner,
                            "creation": created + (last - created) * rng.random(),
                        }
                    )
            share = ANSWERED_DONE if status in done_statuses else ANSWERED_OPEN
            if responded is not None or rng.random() >= share:
                continue
            first = created + timedelta(minutes=first_response_minutes(rng))
            if status == "Replied" and replied_on is not None:
                first = min(first, created + (replied_on - created) * 0.8)
            first = min(first, now - timedelta(minutes=1))
            if first <= created:
                continue
            party = email or "party@example.com"
            sender_name = full_names.get(owner, "")
            thread = [first]
            while rng.random() < EXCHANGES and len(thread) < 9:
                thread.append(thread[-1] + timedelta(minutes=first_response_minutes(rng) * 4))
            if status == "Replied" and replied_on is not None and len(thread) % 2:
                thread.append(max(replied_on, thread[-1]))  # the party wrote last
            for k, at in enumerate(thread):
                if at >= now:
                    break
                sent = k % 2 == 0
                mails.append(
                    {
                        "reference_doctype": "Opportunity",
                        "reference_name": name,
                        "sent_or_received": "Sent" if sent else "Received",
                        "status": "Sent" if sent else "Received",
                        "subject": f"{'' if k == 0 else 'Re: '}{title}: our offer"[:998],
                        "sender": "sales@opportune.example" if sent else party,
                        "sender_full_name": sender_name if sent else (display or ""),
                        "recipients": party if sent else "sales@opportune.example",
                        "text_content": rng.choice(BODIES if sent else REPLIES),
                        "message_id": f"<bench.{name}.{k}@opportune.example>",
                        "in_reply_to": f"<bench.{name}.{k - 1}@opportune.example>" if k else "",
                        "routing_token": f"bench-{name}-{k}" if sent else "",
                        "owner_id": owner if sent else None,
                        "communication_date": at,
                        "creation": at,
                        "sent_at": at if sent else None,
                    }
                )
            answered.append(
                (
                    name,
                    first,
                    minutes_of(first - created),
                    business_minutes_between(created, first, schedule),
                )
            )
        with transaction.atomic():
            writer.insert(Comment, comments)
            writer.insert(Communication, mails)
            if answered:
                set_first_responses(answered)
        log(f"timeline lines and e-mails: {written:,} / {plan.n:,} opportunities")

    for batch in in_chunks(rows):
        flush(batch)


# quotations and sales orders made from the deals, by the deal's outcome: (share, status)
QUOTED = {
    "Quotation": (1.0, "Open"),  # what keeps a deal at "Quotation"
    "Converted": (1.0, "Ordered"),  # with its sales order (customers' deals)
    "Lost": (0.5, "Lost"),  # lost at the quotation stage, with the deal's reason
    "Closed": (0.3, "Expired"),
    "Open": (0.08, "Draft"),
    "Replied": (0.08, "Draft"),
}


def _numbered(prefix: str, opportunity: str) -> str:
    """A quotation's or order's name from its deal's (one of each per deal, so the numbers are
    free): CRM-OPP-2025-01234 -> SAL-QTN-2025-01234."""
    return prefix + opportunity.removeprefix("CRM-OPP-")


def ensure_quotations(writer: Writer, plan: Plan) -> None:
    """The selling documents of the generated deals, in the proportions of QUOTED: a submitted
    quotation for every deal at "Quotation" (Open) and every won customer deal (Ordered, with a
    submitted sales order), a lost quotation for half the lost deals (with the deal's lost
    reason), an expired one for a third of the closed ones, and a draft for 8 % of the deals
    being worked. Items are the deal's (or one row for its amount), totals as the item engine
    makes them (no tax), each with its history record and search entry. At 100,000: 38,997
    quotations (50,528 item rows) and 12,016 sales orders. Skipped for the deals that have a
    quotation already (an earlier run, or the services'); one transaction per chunk."""
    import zlib

    from opportune.selling.models import Quotation, QuotationItem, SalesOrder, SalesOrderItem

    quotation_history = Quotation.history.model
    order_history = SalesOrder.history.model
    reasons_table = Quotation.lost_reasons.through._meta.db_table
    opportunity_reasons = Opportunity.lost_reasons.through
    today = datetime.now(UTC).date()
    item_uom = dict(Item.objects.values_list("name", "stock_uom_id"))
    item_title = dict(Item.objects.values_list("name", "item_name"))
    codes = sorted(item_uom)
    precision = {c[0]: c[3] for c in CURRENCIES}
    fields = (
        "name",
        "status",
        "creation",
        "owner_id",
        "opportunity_from",
        "party_name",
        "lead_id",
        "customer_id",
        "customer_name",
        "title",
        "currency_id",
        "conversion_rate",
        "opportunity_amount",
        "with_items",
        "territory_id",
        "source_id",
        "campaign_id",
        "contact_email",
        "contact_display",
    )
    rows = (
        Opportunity.objects.filter(name__startswith="CRM-OPP-", status__in=QUOTED)
        .order_by("name")
        .values(*fields)
        .iterator(chunk_size=CHUNK)
    )
    written = 0

    def flush(batch: list) -> None:
        nonlocal written
        names = [row["name"] for row in batch]
        written += len(batch)
        quoted = set(
            Quotation.objects.filter(opportunity_id__in=names).values_list(
                "opportunity_id", flat=True
            )
        )
        lines: dict[str, list[dict]] = {}
        for line in (
            OpportunityItem.objects.filter(opportunity_id__in=names)
            .order_by("opportunity_id", "idx")
            .values("opportunity_id", "idx", "item_code_id", "item_name", "qty", "uom_id", "rate")
        ):
            lines.setdefault(line["opportunity_id"], []).append(line)
        reasons = dict(
            opportunity_reasons.objects.filter(opportunity_id__in=names).values_list(
                "opportunity_id", "opportunitylostreason_id"
            )
        )
        quotations, q_items, q_history, q_reasons = [], [], [], []
        orders, o_items, o_history, entries = [], [], [], []
        for opp in batch:
            share, status = QUOTED[opp["status"]]
            # each deal draws from its own generator: a re-run makes the same choices for the
            # deals it skips (a chunk-wide one went on where the first run had stopped drawing)
            rng = random.Random(SEED * 104729 + zlib.crc32(opp["name"].encode()))
            if opp["name"] in quoted or rng.random() >= share:
                continue
            if status == "Ordered" and opp["customer_id"] is None:
                continue  # a lead's deal is won by making it a customer first
            year_end = date(int(opp["name"][8:12]), 12, 31)
            on = min(opp["creation"].date() + timedelta(days=rng.randint(1, 20)), year_end, today)
            at = datetime.combine(on, opp["creation"].timetz()).astimezone(UTC)
            at = max(at, opp["creation"])
            valid_till = on + timedelta(days=30)
            if status == "Open":
                valid_till = max(valid_till, today + timedelta(days=rng.randint(1, 30)))
            elif status == "Expired":
                valid_till = min(valid_till, today - timedelta(days=1))
            rate = opp["conversion_rate"]
            digits = precision.get(opp["currency_id"], 2)
            rows_of = lines.get(opp["name"]) or [
                {
                    "idx": 1,
                    "item_code_id": (code := rng.choice(codes)),
                    "item_name": item_title[code],
                    "qty": Decimal(1),
                    "uom_id": item_uom[code],
                    "rate": opp["opportunity_amount"],
                }
            ]
            name = _numbered("SAL-QTN-", opp["name"])
            total = Decimal(0)
            for line in rows_of:
                amount = money(line["qty"] * line["rate"], digits)
                total += amount
                q_items.append(
                    {
                        "quotation_id": name,
                        "idx": line["idx"],
                        "item_code_id": line["item_code_id"],
                        "item_name": line["item_name"],
                        "qty": line["qty"],
                        "uom_id": line["uom_id"],
                        "stock_uom_id": item_uom[line["item_code_id"]],
                        "rate": line["rate"],
                        "amount": amount,
                        "base_rate": money(line["rate"] * rate, 2),
                        "base_amount": money(amount * rate, 2),
                        "prevdoc_doctype": "Opportunity",
                        "prevdoc_docname": opp["name"],
                    }
                )
            base = money(total * rate, 2)
            money_fields = {
                "transaction_date": on,
                "currency_id": opp["currency_id"],
                "conversion_rate": rate,
                "total": total,
                "base_total": base,
                "net_total": total,
                "base_net_total": base,
                "grand_total": total,
                "base_grand_total": base,
            }
            quotation = {
                "name": name,
                "version": 1 if status == "Draft" else 2,
                "creation": at,
                "modified": at,
                "owner_id": opp["owner_id"],
                "modified_by_id": opp["owner_id"],
                "docstatus": 0 if status == "Draft" else 1,
                **money_fields,
                "quotation_to": opp["opportunity_from"],
                "party_name": opp["party_name"],
                "lead_id": opp["lead_id"],
                "customer_id": opp["customer_id"],
                "customer_name": opp["customer_name"],
                "title": opp["title"],
                "opportunity_id": opp["name"],
                "valid_till": valid_till,
                "status": status,
                "contact_display": opp["contact_display"],
                "contact_email": opp["contact_email"],
                "territory_id": opp["territory_id"],
                "source_id": opp["source_id"],
                "campaign_id": opp["campaign_id"],
            }
            quotations.append(quotation)
            q_history.append(_created(quotation))
            entries.append(search_entry(quotation, Quotation))
            if status == "Lost" and opp["name"] in reasons:
                q_reasons.append((name, reasons[opp["name"]]))
            if status == "Ordered":
                order_name = _numbered("SAL-ORD-", opp["name"])
                order = {
                    "name": order_name,
                    "version": 2,
                    "creation": at,
                    "modified": at,
                    "owner_id": opp["owner_id"],
                    "modified_by_id": opp["owner_id"],
                    "docstatus": 1,
                    **money_fields,
                    "customer_id": opp["customer_id"],
                    "customer_name": opp["customer_name"],
                    "delivery_date": on + timedelta(days=rng.randint(7, 45)),
                    "quotation_id": name,
                    "opportunity_id": opp["name"],
                    "status": "To Deliver and Bill",
                    "contact_email": opp["contact_email"],
                    "territory_id": opp["territory_id"],
                    "source_id": opp["source_id"],
                    "campaign_id": opp["campaign_id"],
                }
                orders.append(order)
                o_history.append(_created(order))
                o_items.extend(
                    {
                        **{k: v for k, v in row.items() if k not in ("quotation_id",)},
                        "sales_order_id": order_name,
                        "prevdoc_docname": name,
                    }
                    for row in q_items
                    if row["quotation_id"] == name
                )
        with transaction.atomic():
            writer.insert(Quotation, quotations)
            writer.insert(QuotationItem, q_items)
            writer.insert(quotation_history, q_history, skip=("history_id",))
            writer.insert_pairs(
                reasons_table, ("quotation_id", "opportunitylostreason_id"), q_reasons
            )
            writer.insert(SalesOrder, orders)
            writer.insert(SalesOrderItem, o_items)
            writer.insert(order_history, o_history, skip=("history_id",))
            writer.insert(SearchEntry, entries)
        log(f"quotations and sales orders: {written:,} deals looked at")

    for batch in in_chunks(rows):
        flush(batch)
    # the series go on after the generated names (one per deal: the deals' counters bound them)
    for prefix in ("SAL-QTN-", "SAL-ORD-"):
        for series in NamingSeries.objects.filter(prefix__startswith="CRM-OPP-"):
            mine = prefix + series.prefix.removeprefix("CRM-OPP-")
            NamingSeries.move_past(mine, series.current)


def _created(row: dict) -> dict:
    """The history record a document's creation writes (simple_history's "+")."""
    return {
        **row,
        "history_date": row["creation"],
        "history_type": "+",
        "history_user_id": row["owner_id"],
        "history_change_reason": None,
    }


def ensure_snapshots() -> None:
    """The kept pipeline (decision 0032: monthly key-framed states) from the generated history,
    from the last day built (or the first day of history) to yesterday: resumable."""
    began = time.monotonic()
    days = keep_snapshots()
    log(f"kept pipeline: {days:,} day(s) in {time.monotonic() - began:,.0f} s")


def analyze() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE")
        else:
            cur.execute("ANALYZE")


def main() -> None:
    n = int(os.environ.get("BENCH_N", "1000000"))
    began = time.monotonic()
    log(f"database: {connection.vendor} {connection.settings_dict['NAME']}; N={n:,}")
    call_command("migrate", verbosity=0)
    plan = load_plan(n)
    names = [plan.opportunity_name(c * CHUNK) for c in range(plan.chunks)]
    names.append(plan.opportunity_name(n - 1))
    if Opportunity.objects.filter(pk__in=names).count() == len(set(names)):
        ensure_activity(Writer(), plan)  # a database generated before these tables existed
        ensure_conversation(Writer(), plan)
        ensure_quotations(Writer(), plan)
        ensure_snapshots()
        log("already generated; refreshing planner statistics")
        analyze()
        return
    masters = ensure_masters()
    users = ensure_users()
    writer = Writer()
    ensure_parties(writer, plan, users)
    ensure_opportunities(writer, plan, OpportunityMaker(plan, users, masters))
    set_naming_series(plan)
    ensure_activity(writer, plan)
    ensure_conversation(writer, plan)
    ensure_quotations(writer, plan)
    # the board's summary (decision 0034): the triggers counted every COPY chunk; folded to one
    # row per (stage, status), as the scheduled compaction would
    log(f"board summary: {compact_stage_totals():,} delta row(s) folded")
    log("analyzing")
    analyze()
    ensure_snapshots()
    log("analyzing")
    analyze()
    log(f"done in {time.monotonic() - began:,.0f} s")


if __name__ == "__main__":
    main()
