"""Profile the two writes of issue 12 ("Cheap writes"): a PATCH of one field and a create with
two items under the bench's round-robin rule, in-process, as the web benchmark sends them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_bench .venv/bin/python bench/write_profile.py
    OPPORTUNE_ROOT=/work/main DATABASE_URL=... .venv/bin/python bench/write_profile.py  # another tree
    BENCH_PROFILE=patch DATABASE_URL=... .venv/bin/python bench/write_profile.py   # + cProfile
    BENCH_SQL=1 ...                                                          # + each query
    BENCH_PROFILE_OUT=/tmp/create.prof ...                     # + the profile's data, for pstats

In-process (django.test.Client with a bearer token of ``bench_manager``: authentication,
services, serialisation; no HTTP server). For each write: ``BENCH_RUNS`` (200) timed runs
after ``BENCH_WARMUP`` (20); the median wall time and the median CPU time of this process per
request (``time.process_time``: Python's share, the database's own CPU not included), and the
number of SQL queries of one request (an ``execute_wrapper``). ``BENCH_PROFILE=patch`` or
``create`` prints the cProfile of the runs in CPU time (cumulative, top 40). A benchmark, not a test; it
writes rows (a few hundred opportunities), which the web benchmark does too.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time
from datetime import date, timedelta
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

from opportune.accounts.models import ApiToken  # noqa: E402
from opportune.automation.models import AssignmentRule  # noqa: E402
from opportune.crm.models import Customer, Opportunity  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "200"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "20"))
PROFILE = os.environ.get("BENCH_PROFILE", "")
SQL = os.environ.get("BENCH_SQL") == "1"
API = "/api/v1/opportunities"


def main() -> None:
    print(f"code: {ROOT}; database: {connection.vendor} {connection.settings_dict['NAME']}")
    rules = list(
        AssignmentRule.objects.filter(document_type="Opportunity", disabled=False).values_list(
            "name", flat=True
        )
    )
    print(f"active assignment rules: {rules or 'none'}; load: {_load()}")
    _token, raw = ApiToken.issue(User.objects.get(username="bench_manager"), "write profile")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    customers = list(
        Customer.objects.filter(disabled=False)
        .order_by("name")
        .values_list("name", flat=True)[:500]
    )
    target = (
        Opportunity.objects.filter(status="Open", name__startswith="CRM-OPP-")
        .order_by("-modified")
        .values_list("name", flat=True)
        .first()
    )
    version = [client.get(f"{API}/{target}").json()["version"]]
    flips = iter(range(10**9))

    def patch():
        body = {"version": version[0], "probability": 20 + next(flips) % 2 * 10}
        response = client.patch(f"{API}/{target}", body, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
        version[0] = response.json()["version"]

    closing = str(date.today() + timedelta(days=60))
    n = iter(range(10**9))

    def create():
        body = {
            "opportunity_from": "Customer",
            "party_name": customers[(next(n) * 7919) % len(customers)],
            "currency": "EUR",
            "opportunity_owner": "rep07",
            "source": "Website",
            "expected_closing": closing,
            "items": [{"item_code": "ITEM-00011", "qty": 1}, {"item_code": "ITEM-00042", "qty": 3}],
        }
        response = client.post(API, body, content_type="application/json")
        assert response.status_code == 201, response.content[:500]

    print("| write | wall p50 ms | CPU p50 ms (this process) | queries |")
    print("|---|---:|---:|---:|")
    for label, call in (("PATCH one field", patch), ("create with 2 items", create)):
        for _ in range(WARMUP):
            call()
        captured: list[str] = []

        def log(execute, sql, params, many, context, captured=captured):
            captured.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(log):
            call()
        walls, cpus = [], []
        profiler = (
            cProfile.Profile(time.process_time) if PROFILE and PROFILE in label.lower() else None
        )
        for _ in range(RUNS):
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            call()
            if profiler is not None:
                profiler.disable()
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
        print(
            f"| {label} | {statistics.median(walls):.2f} | {statistics.median(cpus):.2f} "
            f"| {len(captured)} |"
        )
        if SQL:
            for sql in captured:
                print(f"    {sql[:300]}")
        if profiler is not None:
            if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats / snakeviz
                profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 40)
    print(f"load after: {_load()}")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
