"""The board page's size and in-process render time for a manager (issue 12, "The board page's
size"): bytes of the HTML and, over BENCH_RUNS requests, wall-clock p50/p95 and Python CPU time
(``time.process_time``) p50. In-process (django.test.Client, force_login), no HTTP server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/board_page.py
    OPPORTUNE_ROOT=/path/to/other/tree DATABASE_URL=... .venv/bin/python bench/board_page.py

Compare two trees in alternated runs; a benchmark, not a test.
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

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402

BOARD = "/crm/opportunities/board/"
RUNS = int(os.environ.get("BENCH_RUNS", "30"))


def main() -> None:
    client = Client()
    client.force_login(User.objects.get(username=os.environ.get("BENCH_USER", "bench_manager")))
    for _ in range(3):
        page = client.get(BOARD)
    assert page.status_code == 200, page.status_code
    if out := os.environ.get("BENCH_SAVE"):
        Path(out).write_bytes(page.content)
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        client.get(BOARD)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    walls.sort()
    cards = page.content.count(b'class="kcard"')
    print(
        f"{ROOT.name}: {len(page.content):,} bytes, {cards} cards;"
        f" wall p50 {statistics.median(walls):.1f} ms, p95 {walls[int(len(walls) * 0.95) - 1]:.1f} ms;"
        f" CPU p50 {statistics.median(cpus):.1f} ms; {RUNS} runs; load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
