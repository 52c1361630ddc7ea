"""The global search (issue 14, decision 0026): ``GET /api/v1/search?q=`` as you type, over the
generated leads, customers and opportunities (and their search entries), as a manager (sees
all) and as a sales rep (the record rules' subqueries).

    make bench BENCH_ONLY=search                       # through HTTP, in the suite
    BENCH_N=200000 DATABASE_URL=sqlite:///var/search-bench-200000.sqlite3 \\
        .venv/bin/python bench/search.py                # in-process, on a database of its own

Each term is asked ``BENCH_RUNS`` times (default 30) after warm-up runs; p50 and p95 against the
targets (a typed query: p50 < 50 ms, p95 < 150 ms; a query of one or two characters, which has
no trigram and scans the entries, is for information). Standalone, the plan of the opportunity
query of a term is printed (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).
A benchmark, never a test.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORDER = 40
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
P50, P95 = 50.0, 150.0
# (label, text): what a user types, from the generator's words (bench/generate.py)
TERMS = [
    ("company phrase, many hits", "Glacier Foods"),
    ("word, very many hits", "Johnson"),
    ("customer email, part", "sales1234@"),
    ("lead email, part", "patricia.tanaka"),
    ("phone, part", "555 0042"),
    ("opportunity number, part", "OPP-2026-1234"),
    ("no match", "zqxjv"),
    ("two characters (scan)", "Qz"),
]
USERS = [("manager", "bench_manager"), ("rep", "rep01")]


def _figures(label: str, who: str, times: list[float], short: bool) -> list:
    from bench.harness import Figure, percentile

    note = f"{len(times)} requests"
    name = f"search {who}: {label}"
    return [
        Figure(f"{name}: p50", statistics.median(times), "ms", None if short else P50, note=note),
        Figure(f"{name}: p95", percentile(times, 0.95), "ms", None if short else P95, note=note),
    ]


def run(ctx):
    """In the suite: through HTTP, against the production shape."""
    from urllib.parse import urlencode

    from bench.harness import latencies

    figures = []
    runs = 5 if ctx.quick else RUNS
    for who, username in USERS:
        client = ctx.http({"Authorization": f"Bearer {ctx.api_token(username)}"})
        for label, text in TERMS:
            path = "/api/v1/search?" + urlencode({"q": text})
            ctx_times = latencies(
                lambda path=path, http=client: http.request("GET", path)[2], runs=runs
            )
            figures += _figures(label, who, ctx_times, len(text) < 3)
        client.close()
    return figures


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    os.environ.setdefault("BENCH_N", "200000")
    n = os.environ["BENCH_N"]
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / f'search-bench-{n}.sqlite3'}")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from bench import generate
    from opportune.accounts.models import ApiToken
    from opportune.core.models import SearchEntry
    from opportune.core.search import candidate_query, candidates, rebuild, searchables
    from opportune.crm.access import opportunities_visible_to
    from opportune.crm.models import Customer, Lead, Opportunity

    generate.main()
    for model in (Lead, Customer):  # a database generated before the parties had entries
        if not SearchEntry.objects.filter(doctype=model.doctype).exists():
            print(f"writing the {model.doctype} entries: {rebuild(model):,}", flush=True)
    print(
        f"{connection.vendor}: {Opportunity.objects.count():,} opportunities, "
        f"{Lead.objects.count():,} leads, {Customer.objects.count():,} customers, "
        f"{SearchEntry.objects.count():,} search entries",
        flush=True,
    )
    rows = []
    for who, username in USERS:
        user = User.objects.get(username=username)
        ApiToken.objects.filter(user=user, label="search-bench").delete()
        _token, raw = ApiToken.issue(user, "search-bench")
        client = Client(headers={"Authorization": f"Bearer {raw}"})
        for label, text in TERMS:

            def ask(text: str = text, client: Client = client) -> float:
                began = time.perf_counter()
                response = client.get("/api/v1/search", {"q": text})
                assert response.status_code == 200, response.content[:300]
                return (time.perf_counter() - began) * 1000

            for _ in range(3):
                ask()
            times = [ask() for _ in range(RUNS)]
            found = len(client.get("/api/v1/search", {"q": text}).json()["results"])
            figures = _figures(label, who, times, len(text) < 3)
            rows.append((who, label, text, found, figures[0].value, figures[1].value))
            print(
                f"{who:8} {label:28} {text!r:18} {found:3} results  "
                f"p50 {figures[0].value:7.1f} ms  p95 {figures[1].value:7.1f} ms",
                flush=True,
            )
    if os.environ.get("BENCH_EXPLAIN", "1") != "0":
        user = User.objects.get(username="rep01")
        explain = "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor != "postgresql":
            explain = "EXPLAIN QUERY PLAN "
        doctypes = [s.doctype for s in searchables()]
        for text in ("Glacier Foods", "Johnson"):
            names = candidates(text, doctypes).get("Opportunity", [])
            queries = {
                "the candidates of every type": candidate_query(text, doctypes),
                "rep01's opportunities among them": opportunities_visible_to(user)
                .filter(pk__in=names)
                .order_by()
                .values("pk", "modified", "title"),
            }
            for title, query in queries.items():
                print(f"\n-- {text!r}: {title}")
                sql, params = query.query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute(explain + sql, params)
                    for line in cursor.fetchall():
                        print("  ", *line)
    print("\n| user | query | text | results | p50 ms | p95 ms |\n|---|---|---|---:|---:|---:|")
    for who, label, text, found, p50, p95 in rows:
        print(f"| {who} | {label} | `{text}` | {found} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
