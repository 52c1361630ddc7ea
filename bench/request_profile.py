"""Python work per request of the opportunity API (issue 12, "Lean lists"): for the list (first
page, a page by cursor, ``fields=``) and GET one, the Python function calls a request makes
(cProfile: deterministic, whatever the load), its CPU time (``time.process_time``) and its
bytes (the query counts are pinned in core/tests/test_query_counts.py). In-process (django.test.Client with a bearer token), no HTTP server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/request_profile.py
    OPPORTUNE_ROOT=/work/main DATABASE_URL=... .venv/bin/python bench/request_profile.py  # another tree

Compare two trees in alternated runs; a benchmark, not a test.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("OPPORTUNE_ROOT", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from opportune.accounts.models import ApiToken  # noqa: E402

API = "/api/v1/opportunities"
RUNS = int(os.environ.get("BENCH_RUNS", "200"))


def main() -> None:
    _token, raw = ApiToken.issue(User.objects.get(username="bench_manager"), "request profile")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    first = client.get(f"{API}?limit=20&ordering=-modified").json()
    cases = {
        "list, status=Open, first page": f"{API}?limit=20&ordering=-modified&status=Open",
        "list, page 2 by cursor": f"{API}?limit=20&ordering=-modified&cursor={first['next_cursor']}",
        "list, fields=name,status,modified": f"{API}?limit=20&fields=name,status,modified",
        "GET one": f"{API}/{first['results'][0]['name']}",
    }
    print(f"{connection.vendor}, {RUNS} runs, load average {os.getloadavg()[0]:.2f}, {ROOT}")
    print("| request | Python calls | CPU ms | bytes |")
    print("|---|---:|---:|---:|")
    for label, path in cases.items():
        for _ in range(10):
            client.get(path)
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(50):
            client.get(path)
        profile.disable()
        calls = pstats.Stats(profile).total_calls / 50  # type: ignore[attr-defined]
        start = time.process_time()
        for _ in range(RUNS):
            client.get(path)
        cpu = (time.process_time() - start) * 1000 / RUNS
        print(f"| {label} | {calls:,.0f} | {cpu:.2f} | {len(response.content):,} |")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
