"""The targets of issue 12 through HTTP against the production-shaped server (``make bench``).

A benchmark module (bench/harness.py): ``run(ctx)`` gives, against their targets,
- POST create with two items, 4 clients at once, with a round-robin assignment rule active
  ("Bench rota" over the 36 sales reps, made or enabled here if needed): requests a second
  (>= 200/s); the note says how many assignments the rule made during the run;
- PATCH one field, one client: requests a second (>= 150/s);
- GET one opportunity: p50 (< 5 ms);
- the list API, first page, over filters on status, owner and stage (common and rare values),
  newest modified first: p50 < 5 ms, p95 < 8 ms; the same for a deep page reached by the cursor;
- the list page (HTML, a signed-in sales manager): p95 < 30 ms;
- the board (HTML, the manager: per-stage count, amounts and first cards): p95 < 60 ms.
Every request is a real HTTP request from this process (same machine) to gunicorn, kept alive;
any answer but the expected status stops the run.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

from bench.harness import Context, Figure, latencies, latency_figures, throughput

ORDER = 10
API = "/api/v1/opportunities"
MANAGER = "bench_manager"
OWNER = "rep07"
STAGES = ("Prospecting", "Qualification", "Negotiation/Review")
# Filters of the list (status, owner, stage): common values, and rare ones (a manager owns
# almost nothing; Lost in the last stage is a small slice).
LIST_FILTERS = [
    {},
    {"status": "Open"},
    {"status": "Open", "opportunity_owner": OWNER},
    {"status": "Open", "sales_stage": "Qualification", "opportunity_owner": OWNER},
    {"status": "Open,Replied,Quotation", "opportunity_owner": OWNER},
    {"status": "Quotation", "sales_stage": "Negotiation/Review"},
    {"status": "Lost", "sales_stage": "Negotiation/Review", "opportunity_owner": "boss3"},
    {"status": "Replied", "opportunity_owner": "rep36"},
]


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode({"limit": 20, "ordering": "-modified", **params})


def run(ctx: Context) -> list[Figure]:
    quick = ctx.quick
    seconds = float(os.environ.get("BENCH_SECONDS", "4" if quick else "15"))
    runs = 60 if quick else 400
    deep_pages = int(os.environ.get("BENCH_DEEP_PAGE", "20" if quick else "200"))
    token = ctx.api_token(MANAGER)
    auth = {"Authorization": f"Bearer {token}"}
    api = ctx.http(auth)
    figures: list[Figure] = []

    # --- reads --------------------------------------------------------------------------------
    with_items = api.json("GET", f"{API}?{_query({})}")["results"][0]["name"]
    one = latencies(lambda: _get(api, f"{API}/{with_items}"), runs=runs)
    figures += latency_figures("GET one opportunity", one, p50=5)[:1]

    pages = [f"{API}?{_query(f)}" for f in LIST_FILTERS]
    cycle = iter(range(10**9))
    first = latencies(lambda: _get(api, pages[next(cycle) % len(pages)]), runs=runs)
    figures += latency_figures(
        f"list API first page ({len(pages)} filter sets)", first, p50=5, p95=8
    )

    deep = []
    for params in (LIST_FILTERS[0], LIST_FILTERS[1], LIST_FILTERS[4]):
        page = api.json("GET", f"{API}?{_query(params)}")
        for _ in range(deep_pages - 1):
            if not page.get("next_cursor"):
                break
            cursor = page["next_cursor"]
            page = api.json("GET", f"{API}?{_query({**params, 'cursor': cursor})}")
        if page.get("next_cursor"):
            deep.append(f"{API}?{_query({**params, 'cursor': page['next_cursor']})}")
    if deep:
        cycle = iter(range(10**9))
        times = latencies(lambda: _get(api, deep[next(cycle) % len(deep)]), runs=runs)
        figures += latency_figures(f"list API page {deep_pages} by cursor", times, p50=5, p95=8)

    browser = ctx.http({"Cookie": ctx.session_cookie(MANAGER)})
    times = latencies(lambda: _get(browser, "/crm/opportunities/?status=Open"), runs=runs // 2)
    figures += latency_figures("list page (HTML, Open)", times, p95=30)
    times = latencies(lambda: _get(browser, "/crm/opportunities/board/"), runs=runs // 2)
    figures += latency_figures("board (HTML, manager)", times, p95=60)

    # --- writes -------------------------------------------------------------------------------
    target = api.json("GET", f"{API}?{_query({'status': 'Open'})}")["results"][0]["name"]
    version = [api.json("GET", f"{API}/{target}")["version"]]
    flips = iter(range(10**9))

    def patch() -> float:
        probability = 20 + next(flips) % 2 * 10
        status, body, ms = api.request(
            "PATCH", f"{API}/{target}", {"version": version[0], "probability": probability}
        )
        if status != 200:
            raise RuntimeError(f"PATCH {target}: {status} {body[:300]!r}")
        version[0] = json.loads(body)["version"]
        return ms

    latencies(patch, runs=0, warmup=10)
    rate, times = throughput(lambda _i: patch, clients=1, seconds=seconds)
    figures.append(Figure("PATCH one field, 1 client", rate, "/s", 150, "higher"))
    figures += latency_figures("PATCH one field, 1 client", times)[:1]

    customers = _customers(ctx)
    items = ["ITEM-00011", "ITEM-00042"]
    closing = str(date.today() + timedelta(days=60))

    def creator(i: int):
        client = ctx.http(auth)
        n = iter(range(10**9))

        def create() -> float:
            body = {
                "opportunity_from": "Customer",
                "party_name": customers[(i * 7919 + next(n)) % len(customers)],
                "currency": "EUR",
                "opportunity_owner": OWNER,
                "source": "Website",
                "expected_closing": closing,
                "items": [{"item_code": items[0], "qty": 1}, {"item_code": items[1], "qty": 3}],
            }
            status, payload, ms = client.request("POST", API, body)
            if status != 201:
                raise RuntimeError(f"POST {API}: {status} {payload[:300]!r}")
            return ms

        return create

    from bench.generate import RULE, ensure_rule  # sets Django up on the bench's database

    ensure_rule()  # every create runs a round-robin rule, as with a real sales team
    throughput(creator, clients=4, seconds=2)  # warm-up: every worker has made one
    before = _rule_assignments()
    rate, times = throughput(creator, clients=4, seconds=seconds)
    made = _rule_assignments() - before
    note = f"rule {RULE} active: {made} assignments for {len(times)} creates"
    figures.append(Figure("create with 2 items, 4 clients", rate, "/s", 200, "higher", note))
    figures += latency_figures("create with 2 items, 4 clients", times)
    return figures


def _get(client, path: str) -> float:
    status, body, ms = client.request("GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
    return ms


def _customers(ctx: Context) -> list[str]:
    from opportune.crm.models import Customer

    return list(
        Customer.objects.filter(disabled=False)
        .order_by("name")
        .values_list("name", flat=True)[:500]
    )


def _rule_assignments() -> int:
    from bench.generate import RULE
    from opportune.automation.models import Assignment

    return Assignment.objects.filter(assignment_rule=RULE).count()
