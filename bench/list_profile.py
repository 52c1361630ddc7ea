"""Profile the opportunity list API (issue 12, "Lean lists"): latency, SQL queries and bytes of
the first page, a deep page reached by the cursor and a deep page on a field with ties, as a
manager and as a sales rep; with ``fields=`` and ``expand=`` when the code answers them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lean_bench .venv/bin/python bench/list_profile.py
    OPPORTUNE_ROOT=/work/main DATABASE_URL=... .venv/bin/python bench/list_profile.py  # another tree

In-process (django.test.Client with a bearer token: auth, filters, pagination and
serialisation all run; no HTTP server). ``BENCH_RUNS`` (60) timed runs per case after
``BENCH_WARMUP`` (5); ``BENCH_DEEP_PAGE`` (200) pages of 20 deep. Prints a Markdown table and,
with ``BENCH_EXPLAIN=1``, the plan of the deep page's query. A benchmark, not a test.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("OPPORTUNE_ROOT", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from opportune.accounts.models import ApiToken  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "60"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "5"))
DEEP = int(os.environ.get("BENCH_DEEP_PAGE", "200"))
API = "/api/v1/opportunities"


def client(username: str) -> Client:
    _token, raw = ApiToken.issue(User.objects.get(username=username), "list profile")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def get(c: Client, query: str) -> dict:
    response = c.get(f"{API}?{query}")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def deep(c: Client, query: str, pages: int = DEEP) -> str:
    """The query of page ``pages``, reached by following next_cursor."""
    page = get(c, query)
    for _ in range(pages - 1):
        page = get(c, f"{query}&cursor={page['next_cursor']}")
    return f"{query}&cursor={page['next_cursor']}"


def measure(c: Client, query: str) -> tuple[float, float, int, int]:
    for _ in range(WARMUP):
        c.get(f"{API}?{query}")
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        c.get(f"{API}?{query}")
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(f"{API}?{query}")
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    return statistics.median(times), p95, len(ctx.captured_queries), len(response.content)


def main() -> None:
    lean = b'"expand"' in Client().get("/api/v1/openapi.json").content  # fields=, expand= known
    manager, rep = client("bench_manager"), client("rep07")
    cases = [
        ("manager, first page", manager, "limit=20"),
        (f"manager, page {DEEP} by cursor", manager, deep(manager, "limit=20")),
        (
            f"manager, page {DEEP}, ordering=-probability (ties)",
            manager,
            deep(manager, "limit=20&ordering=-probability"),
        ),
        ("rep07, first page", rep, "limit=20"),
        ("rep07, status=Open, page 20 by cursor", rep, deep(rep, "limit=20&status=Open", 20)),
    ]
    if lean:
        cases += [
            (
                "manager, first page, fields=name,status,modified",
                manager,
                "limit=20&fields=name,status,modified",
            ),
            (
                "manager, first page, expand=items,lost_reasons,competitors",
                manager,
                "limit=20&expand=items,lost_reasons,competitors",
            ),
        ]
    print(f"{connection.vendor}, {RUNS} runs, load average {os.getloadavg()[0]:.2f}")
    print("| case | p50 ms | p95 ms | queries | bytes |")
    print("|---|---:|---:|---:|---:|")
    for label, c, query in cases:
        p50, p95, queries, size = measure(c, query)
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {queries} | {size:,} |")
    for label, _c, query in cases[1:3] if os.environ.get("BENCH_EXPLAIN") else ():
        print(f"plan of {label}:")
        with CaptureQueriesContext(connection) as ctx:
            manager.get(f"{API}?{query}")
        sql = next(q["sql"] for q in ctx.captured_queries if "crm_opportunity" in q["sql"][:400])
        with connection.cursor() as cursor:
            prefix = (
                "EXPLAIN (ANALYZE, BUFFERS) "
                if connection.vendor == "postgresql"
                else ("EXPLAIN QUERY PLAN ")
            )
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("   ", " ".join(str(x) for x in row))
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
