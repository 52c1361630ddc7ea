"""Where a create's CPU goes, by process (issue 12, the concurrent creates' target): starts the
production shape (``python -m opportune.serve --no-demo``) on ``DATABASE_URL``, sends creates
with two items from 4 clients under the bench's round-robin rule for ``SECONDS_RUN`` (15)
seconds, and divides the CPU time each kind of process used (web workers, gunicorn's master,
the Huey consumer, every PostgreSQL process, this loader) by the creates made.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench100k .venv/bin/python bench/create_cpu.py

CPU time, not wall time: meaningful on a loaded machine (PostgreSQL's share counts every
postgres process of the machine, so keep other databases idle). A benchmark, not a test; it
writes rows, as the web benchmark does.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")

PORT = int(os.environ.get("BENCH_PORT", "8123"))
SECONDS = float(os.environ.get("SECONDS_RUN", "15"))
CLIENTS = 4


def start_server() -> subprocess.Popen[bytes]:
    var = Path(os.environ.get("BENCH_VAR", "/tmp/opportune-create-cpu"))
    var.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PORT": str(PORT), "OPPORTUNE_VAR_DIR": str(var), "WEB_ACCESS_LOG": ""}
    command = [sys.executable, "-m", "opportune.serve", "--no-demo", "--port", str(PORT)]
    with (var / "serve.out").open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_up() -> None:
    for _ in range(120):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(1)
    raise RuntimeError("the server did not answer")


def cpu_by_kind(server: subprocess.Popen[bytes]) -> dict[str, float]:
    master = psutil.Process(server.pid)
    kinds: dict[str, list[psutil.Process]] = {"master": [master], "web worker": [], "consumer": []}
    for child in master.children(recursive=True):
        kind = "consumer" if "huey" in " ".join(child.cmdline()) else "web worker"
        kinds[kind].append(child)
    kinds["postgres"] = [
        p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")
    ]
    kinds["loader"] = [psutil.Process()]
    seconds = {}
    for kind, processes in kinds.items():
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        seconds[kind] = total
    return seconds


def creates(token: str, customers: list[str], seconds: float) -> int:
    closing = str(datetime.date.today() + datetime.timedelta(days=60))
    deadline = time.time() + seconds
    made = [0] * CLIENTS

    def client(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while time.time() < deadline:
            body = {
                "opportunity_from": "Customer",
                "party_name": customers[(i * 7919 + made[i]) % len(customers)],
                "currency": "EUR",
                "opportunity_owner": "rep07",
                "source": "Website",
                "expected_closing": closing,
                "items": [
                    {"item_code": "ITEM-00011", "qty": 1},
                    {"item_code": "ITEM-00042", "qty": 3},
                ],
            }
            connection.request("POST", "/api/v1/opportunities", json.dumps(body), headers)
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"POST: {response.status}")
            made[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(made)


def main() -> None:
    server = start_server()
    try:
        import django

        django.setup()
        from django.contrib.auth.models import User

        from bench.generate import ensure_rule
        from opportune.accounts.models import ApiToken
        from opportune.crm.models import Customer

        ensure_rule()
        _token, raw = ApiToken.issue(User.objects.get(username="bench_manager"), "create cpu")
        customers = list(Customer.objects.values_list("name", flat=True)[:500])
        wait_until_up()
        creates(raw, customers, 3)  # warm-up: every worker has made one
        before, start = cpu_by_kind(server), time.time()
        made = creates(raw, customers, SECONDS)
        after, elapsed = cpu_by_kind(server), time.time() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    rate = made / elapsed
    print(f"{made} creates in {elapsed:.1f} s: {rate:.1f}/s; CPU ms per create, by process:")
    for kind in before:
        print(f"  {kind}: {(after[kind] - before[kind]) * 1000 / made:.2f}")
    total = sum(after[kind] - before[kind] for kind in before) * 1000 / made
    print(f"  total: {total:.2f} (at {rate:.1f}/s two cores give {2000 / rate:.1f} ms a create)")


if __name__ == "__main__":
    main()
