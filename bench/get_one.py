"""GET one opportunity (issue 12, "GET one, lean"): the in-process wall-clock p50/p95 of
``GET /api/v1/opportunities/<name>`` over many opportunities, as the bench manager and as a
sales rep, and a digest of every answer (status, ETag, bytes) to compare two trees:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/get_one.py
    OPPORTUNE_ROOT=/work/main DATABASE_URL=... .venv/bin/python bench/get_one.py  # another tree

The same digest from both trees: the same answers, byte for byte. A benchmark, not a test.
"""

from __future__ import annotations

import hashlib
import os
import statistics
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
from opportune.crm.models import Opportunity  # noqa: E402

API = "/api/v1/opportunities"
N = int(os.environ.get("BENCH_N", "200"))
USERS = ("bench_manager", "rep07")


def main() -> None:
    # opportunities of every kind: the newest, some lost (reasons, competitors), with items
    names = list(Opportunity.objects.order_by("-modified").values_list("pk", flat=True)[: N // 2])
    lost = Opportunity.objects.filter(status="Lost").exclude(lost_reasons=None)
    names += list(lost.order_by("pk").values_list("pk", flat=True)[: N // 4])
    names += list(
        Opportunity.objects.filter(items__isnull=False, owner__username="rep07")
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[: N // 4]
    )
    print(f"{connection.vendor}, {len(names)} opportunities, load {os.getloadavg()[0]:.2f}, {ROOT}")
    for username in USERS:
        _token, raw = ApiToken.issue(User.objects.get(username=username), "get one bench")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        digest = hashlib.sha256()
        for name in names[:20]:  # warm up
            client.get(f"{API}/{name}")
        times, statuses = [], {}
        cpu = time.process_time()
        for name in names:
            start = time.perf_counter()
            response = client.get(f"{API}/{name}")
            times.append((time.perf_counter() - start) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            digest.update(f"{name} {response.status_code} {response.get('ETag')}\n".encode())
            digest.update(response.content)
        cpu_ms = (time.process_time() - cpu) * 1000 / len(names)
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"{username}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, CPU {cpu_ms:.2f} ms, "
            f"statuses {statuses}, digest {digest.hexdigest()[:16]}"
        )
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
