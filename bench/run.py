"""Time the opportunity lists, detail, writes and pipeline aggregates on a generated database.

    .venv/bin/python bench/run.py                     # SQLite var/bench.sqlite3 (bench/generate.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/run.py

Everything goes through the real code paths: the JSON API (django.test.Client with a bearer
token, so auth, filters, pagination, serialisation and services all run) and, for the
aggregates, querysets built on ``opportunities_visible_to`` as the board and reports do.
Each case runs BENCH_WARMUP times untimed, then BENCH_RUNS times; the table shows the median
and p95 and compares the median with the target. EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, or
EXPLAIN QUERY PLAN on SQLite, shows the plan of each list and aggregate query.
A benchmark, not a test: it is never part of ``make test``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, DecimalField, F, Sum  # noqa: E402
from django.db.models.functions import TruncMonth  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from opportune.accounts.models import ApiToken  # noqa: E402
from opportune.crm.access import opportunities_visible_to  # noqa: E402
from opportune.crm.models import Customer, Opportunity  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
DEEP_PAGE = int(os.environ.get("BENCH_DEEP_PAGE", "500"))
USER = "bench_manager"
OWNER = "rep07"
API = "/api/v1/opportunities"
PIPELINE = ("Open", "Replied", "Quotation")


@dataclass
class Case:
    label: str
    target_ms: float
    run: Callable[[], object]
    explain: bool = False  # show the plan of its main query
    times: list[float] = field(default_factory=list)
    queries: int = 0
    plan: str = ""


class Bench:
    def __init__(self):
        self.user = User.objects.get(username=USER)
        ApiToken.objects.filter(user=self.user, label="bench").delete()
        _token, raw = ApiToken.issue(self.user, "bench")
        self.client = Client(headers={"Authorization": f"Bearer {raw}"})
        self.patch_version: dict[str, int] = {}

    # --- API calls ----------------------------------------------------------------------------
    def get(self, path: str, **params) -> dict:
        response = self.client.get(path, params)
        if response.status_code != 200:
            raise SystemExit(
                f"GET {path} {params}: {response.status_code} {response.content[:500]}"
            )
        return response.json()

    def list(self, **params) -> Callable[[], dict]:
        return lambda: self.get(API, limit=20, **params)

    def deep_cursor(self) -> str:
        """Follow next_cursor from the first page to page DEEP_PAGE (default ordering)."""
        cursor = None
        for _ in range(DEEP_PAGE - 1):
            page = self.get(API, limit=20, **({"cursor": cursor} if cursor else {}))
            cursor = page["next_cursor"]
        return cursor

    def patch(self, name: str) -> Callable[[], dict]:
        self.patch_version[name] = self.get(f"{API}/{name}")["version"]
        flip = iter(range(10**9))

        def run():
            probability = 20 + next(flip) % 2 * 10
            response = self.client.patch(
                f"{API}/{name}",
                {
                    "version": self.patch_version[name],
                    "probability": probability,
                    "to_discuss": f"bench {probability}",
                },
                content_type="application/json",
            )
            if response.status_code != 200:
                raise SystemExit(f"PATCH {name}: {response.status_code} {response.content[:500]}")
            self.patch_version[name] = response.json()["version"]

        return run

    def create(self, customer: str, items: list[str]) -> Callable[[], None]:
        body = {
            "opportunity_from": "Customer",
            "party_name": customer,
            "currency": "EUR",
            "opportunity_owner": OWNER,
            "source": "Website",
            "expected_closing": str(timezone.localdate() + timedelta(days=60)),
            "items": [
                {"item_code": code, "qty": q} for code, q in zip(items, (1, 2, 5), strict=False)
            ],
        }

        def run():
            response = self.client.post(API, body, content_type="application/json")
            if response.status_code != 201:
                raise SystemExit(f"POST: {response.status_code} {response.content[:500]}")

        return run

    # --- aggregates (as the kanban board and the pipeline report compute them) ------------------
    def board_columns(self) -> list[dict]:
        # COUNT(*), not COUNT(name): the count then comes from the covering index opp_board.
        money = DecimalField(max_digits=30, decimal_places=6)
        return list(
            opportunities_visible_to(self.user)
            .filter(status__in=PIPELINE)
            .values("sales_stage")
            .annotate(
                count=Count("*"),
                amount=Sum("base_opportunity_amount"),
                weighted=Sum(
                    F("base_opportunity_amount") * F("probability") / 100, output_field=money
                ),
            )
            .order_by("sales_stage")
        )

    def _pipeline_rows(self):
        today = timezone.localdate()
        return opportunities_visible_to(self.user).filter(
            expected_closing__gte=today - timedelta(days=365),
            expected_closing__lte=today + timedelta(days=182),
        )

    def pipeline_by_month_trunc(self) -> list[dict]:
        """GROUP BY TruncMonth in SQL (on SQLite a Python function called for every row)."""
        return list(
            self._pipeline_rows()
            .annotate(month=TruncMonth("expected_closing"))
            .values("month", "sales_stage")
            .annotate(count=Count("*"), amount=Sum("base_opportunity_amount"))
            .order_by("month", "sales_stage")
        )

    def pipeline_by_month(self) -> list[dict]:
        """GROUP BY day in SQL (a few thousand groups), folded into months in Python."""
        months: dict[tuple, dict] = {}
        days = (
            self._pipeline_rows()
            .values("expected_closing", "sales_stage")
            .annotate(count=Count("*"), amount=Sum("base_opportunity_amount"))
            .order_by()
        )
        for row in days:
            key = (row["expected_closing"].replace(day=1), row["sales_stage"])
            into = months.setdefault(key, {"count": 0, "amount": 0})
            into["count"] += row["count"]
            into["amount"] += row["amount"] or 0
        return [
            {"month": m, "sales_stage": s, **v}
            for (m, s), v in sorted(months.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        ]


def sample_rows():
    """A few real rows to read and write: an opportunity with items, a lead-based Open one."""
    with_items = (
        Opportunity.objects.filter(with_items=True)
        .order_by("-modified")
        .values_list("name", flat=True)
        .first()
    )
    open_lead = (
        Opportunity.objects.filter(status="Open", opportunity_from="Lead")
        .order_by("-modified")
        .values_list("name", flat=True)
        .first()
    )
    customer = (
        Customer.objects.filter(disabled=False)
        .order_by("name")
        .values_list("name", flat=True)[1000:1001]
        .get()
    )
    rare = Customer.objects.order_by("name").values_list("email_id", flat=True)[5000:5001].get()
    return with_items, open_lead, customer, rare


def build_cases(bench: Bench) -> list[Case]:
    with_items, open_lead, customer, rare_email = sample_rows()
    items = [f"ITEM-{k:05d}" for k in (11, 42, 73)]
    deep = bench.deep_cursor()
    return [
        Case("list: first page (-modified)", 50, bench.list(), explain=True),
        Case(
            "list: status+stage+owner",
            50,
            bench.list(status="Open", sales_stage="Qualification", opportunity_owner=OWNER),
            explain=True,
        ),
        Case(
            "list: owner's pipeline (3 statuses)",
            50,
            bench.list(status=",".join(PIPELINE), opportunity_owner=OWNER),
            explain=True,
        ),
        Case(
            "list: ordering=-opportunity_amount",
            50,
            bench.list(ordering="-opportunity_amount"),
            explain=True,
        ),
        Case(
            "list: expected_closing filter",
            50,
            bench.list(
                ordering="expected_closing",
                expected_closing__gte=str(timezone.localdate()),
                status="Open",
            ),
            explain=True,
        ),
        Case(f"list: page {DEEP_PAGE} via cursor", 50, bench.list(cursor=deep), explain=True),
        Case("list: with_count=1", 500, bench.list(with_count="true"), explain=False),
        Case("search: q=common word", 200, bench.list(q="Glacier"), explain=True),
        Case("search: q=company name", 200, bench.list(q="Glacier Robotics"), explain=True),
        Case("search: q=exact e-mail", 200, bench.list(q=rare_email), explain=True),
        Case("GET one opportunity (3 items)", 30, lambda: bench.get(f"{API}/{with_items}")),
        Case("PATCH one (update_opportunity)", 100, bench.patch(open_lead)),
        Case("POST create with 3 items", 150, bench.create(customer, items)),
        Case("board: columns over 3 statuses", 500, bench.board_columns, explain=True),
        Case("report: pipeline by month, day+fold", 500, bench.pipeline_by_month, explain=True),
        Case(
            "report: pipeline by month, TruncMonth",
            500,
            bench.pipeline_by_month_trunc,
            explain=True,
        ),
    ]


# --- measuring -----------------------------------------------------------------------------------
class QueryRecorder:
    """Every SQL statement run inside it, with its parameters (survives request_started)."""

    def __init__(self):
        self.queries: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        self.queries.append((sql, params))
        return execute(sql, params, many, context)


def measure(case: Case) -> None:
    for _ in range(WARMUP):
        case.run()
    recorder = QueryRecorder()
    with connection.execute_wrapper(recorder):
        began = time.perf_counter()
        case.run()
        case.times.append((time.perf_counter() - began) * 1000)
    case.queries = len(recorder.queries)
    for _ in range(RUNS - 1):
        began = time.perf_counter()
        case.run()
        case.times.append((time.perf_counter() - began) * 1000)
    if case.explain:
        case.plan = explain(*main_query(recorder.queries))


def main_query(queries: list[tuple[str, tuple]]) -> tuple[str, tuple]:
    """The query that reads the opportunities (not auth, roles, prefetches or counts)."""
    for sql, params in queries:
        if sql.startswith("SELECT") and 'FROM "crm_opportunity"' in sql and "COUNT(*)" not in sql:
            return sql, params
    return queries[-1]


def explain(sql: str, params) -> str:
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cur:
        cur.execute(prefix + sql, params)
        rows = cur.fetchall()
    return "\n".join("  " + str(row[-1]) for row in rows)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(cases: list[Case], total: int) -> bool:
    print(
        f"\nOpportune benchmark: {connection.vendor}, {total:,} opportunities, "
        f"{RUNS} runs after {WARMUP} warm-up (times in ms; PASS = median within target)\n"
    )
    print(f"{'case':<38} {'queries':>7} {'median':>8} {'p95':>8} {'target':>7}  result")
    print("-" * 80)
    ok = True
    for case in cases:
        median = statistics.median(case.times)
        passed = median <= case.target_ms
        ok &= passed
        print(
            f"{case.label:<38} {case.queries:>7} {median:>8.1f} {p95(case.times):>8.1f} "
            f"{case.target_ms:>7.0f}  {'PASS' if passed else 'FAIL'}"
        )
    if os.environ.get("BENCH_EXPLAIN", "1") != "0":
        for case in cases:
            if case.plan:
                print(f"\n== {case.label}\n{case.plan}")
    return ok


ORDER = 30  # after the HTTP module (bench/web.py): this one writes a few rows too


def run(ctx):
    """`make bench` (bench/harness.py): the same cases in-process (django.test.Client), each
    median against its target."""
    from bench.harness import Figure

    bench = Bench()
    cases = build_cases(bench)
    for case in cases:
        measure(case)
    return [
        Figure(
            f"in-process: {case.label} (median)",
            statistics.median(case.times),
            "ms",
            case.target_ms,
            note=f"p95 {p95(case.times):.1f} ms, {case.queries} queries, {RUNS} runs",
        )
        for case in cases
    ]


def main() -> None:
    total = Opportunity.objects.count()
    if not total:
        raise SystemExit("No opportunities: run bench/generate.py on this DATABASE_URL first.")
    bench = Bench()
    print(
        f"setting up ({connection.vendor}, following {DEEP_PAGE} pages of cursors)...", flush=True
    )
    cases = build_cases(bench)
    for case in cases:
        print(f"  {case.label}", flush=True)
        measure(case)
    ok = report(cases, total)
    sys.exit(0 if ok or os.environ.get("BENCH_STRICT", "0") == "0" else 1)


if __name__ == "__main__":
    main()
