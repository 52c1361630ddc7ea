"""Sales users working Opportune at once: the load that bench/load/run.py drives.

    LOAD_SETUP_FILE=setup.json LOAD_ACK_FILE=acks.jsonl LOAD_STATS_FILE=stats.json \
        .venv/bin/locust -f bench/load/locustfile.py --headless -u 50 -r 10 -t 60s \
        --host http://127.0.0.1:PORT

Each simulated user is one sales user of the load database (accounts, API tokens and
session cookies come from LOAD_SETUP_FILE, written by run.py; several simulated users may
share one account). They list, filter and page through opportunities (cursor), read one,
create opportunities with items from leads they create, change them with the version they
read (a 409 is a correct answer to a stale version: it is counted as a "409 conflict", the
document is read again and the change retried once), declare their own opportunities lost
and reopen them, make quotations and submit half of them, list and create leads, and open
the home page, the board, the opportunity list and an opportunity's page through the browser
session.

Everything the server acknowledged as written is appended to LOAD_ACK_FILE (one JSON object a
line: what was created, and each change with the version the answer gave), which run.py checks
against the database afterwards; the final figures go to LOAD_STATS_FILE when it is set.
The users only touch what the API lists to them and what they created, so the load works
whether sales users see all opportunities or only their own.
Any answer other than the expected one is a failure (locust counts it; run.py fails on any).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from datetime import date, timedelta
from pathlib import Path

from locust import FastHttpUser, between, events, task

SETUP = json.loads(Path(os.environ["LOAD_SETUP_FILE"]).read_text(encoding="utf-8"))
ACKS = open(os.environ["LOAD_ACK_FILE"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115
API = "/api/v1"
ACCOUNTS = itertools.count()
TODAY = date.fromisoformat(SETUP["today"])
LIST_FILTERS = [
    {},
    {"status": "Open,Replied"},
    {"status": "Open", "ordering": "-opportunity_amount"},
    {"expected_closing__gte": TODAY.isoformat(), "status": "Open,Replied,Quotation"},
    {"ordering": "expected_closing"},
]
ACTIVE = ("Open", "Replied")


def describe(response) -> str:
    """What went wrong: the connection error, or the start of the answer."""
    error = getattr(response, "error", None)  # not on every locust response type
    if error and not response.status_code:
        return f"{type(error).__name__}: {error}"
    return (response.text or "")[:300]


def ack(kind: str, **fields) -> None:
    """Record a write the server said it made (read back by run.py)."""
    ACKS.write(json.dumps({"kind": kind, **fields}) + "\n")


ENVIRONMENT = []


@events.init.add_listener
def _keep_environment(environment, **_kwargs) -> None:
    ENVIRONMENT.append(environment)


@events.quit.add_listener
def _write_stats(**_kwargs) -> None:
    """The final figures (locust's CSV is written every few seconds, not at the very end)."""
    ACKS.flush()
    stats = ENVIRONMENT[0].stats

    def entry(e) -> dict:
        return {
            "type": e.method or "",
            "name": e.name,
            "count": e.num_requests,
            "failures": e.num_failures,
            "p50": e.get_response_time_percentile(0.5),
            "p95": e.get_response_time_percentile(0.95),
            "p99": e.get_response_time_percentile(0.99),
            "max": e.max_response_time,
            "rps": e.total_rps,
        }

    summary = {
        "entries": [entry(e) for _key, e in sorted(stats.entries.items())],
        "total": entry(stats.total),
        "errors": [
            {"method": e.method, "name": e.name, "error": str(e.error), "count": e.occurrences}
            for e in stats.errors.values()
        ],
    }
    if os.environ.get("LOAD_STATS_FILE"):
        Path(os.environ["LOAD_STATS_FILE"]).write_text(json.dumps(summary, indent=1))


class SalesUser(FastHttpUser):
    wait_time = between(0.5, 1.5)
    # the connection and network timeouts of one request: a hung server is a failure, not a hang
    connection_timeout = 30.0
    network_timeout = 60.0

    def on_start(self) -> None:
        account = SETUP["users"][next(ACCOUNTS) % len(SETUP["users"])]
        self.username = account["username"]
        self.api = {"Authorization": f"Bearer {account['token']}"}
        self.page = {"Cookie": f"{SETUP['session_cookie']}={account['session']}"}
        self.rng = random.Random()
        self.seen: list[str] = []  # opportunities the lists showed (Open or Replied)
        self.mine: dict[str, dict] = {}  # opportunities this user created: status, quoted
        self.leads: list[str] = []  # leads this user created

    # --- HTTP helpers ---------------------------------------------------------------------------
    def call(self, method: str, path: str, name: str, expect: tuple[int, ...] = (200,), **kw):
        """One API request; any status outside ``expect`` is a failure. Returns the response."""
        with self.client.request(
            method, path, name=name, headers=self.api, catch_response=True, **kw
        ) as response:
            if response.status_code in expect:
                response.success()
            else:
                response.failure(f"{response.status_code}: {describe(response)}")
        return response

    def conflict(self, method: str, name: str, response) -> None:
        """A 409 is a right answer, counted on a line of its own (type "409")."""
        events.request.fire(
            request_type="409",
            name=f"{method} {name}: 409 conflict",
            response_time=response.request_meta["response_time"],
            response_length=0,
            exception=None,
            context={},
        )

    def get_page(self, path: str, name: str) -> None:
        with self.client.get(
            path, name=name, headers=self.page, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"{response.status_code}: {describe(response)}")

    def read(self, name: str):
        response = self.call("GET", f"{API}/opportunities/{name}", "/api/v1/opportunities/{name}")
        return response.json() if response.status_code == 200 else None

    def pick(self) -> str | None:
        pool = self.seen + list(self.mine)
        return self.rng.choice(pool) if pool else None

    # --- reads ----------------------------------------------------------------------------------
    @task(20)
    def list_opportunities(self) -> None:
        params = dict(self.rng.choice(LIST_FILTERS))
        response = self.call(
            "GET", f"{API}/opportunities", "/api/v1/opportunities?filters", params=params
        )
        pages = 0
        while response.status_code == 200:
            page = response.json()
            fresh = [o["name"] for o in page["results"] if o["status"] in ACTIVE]
            self.seen = (fresh + [n for n in self.seen if n not in fresh])[:60]
            cursor = page.get("next_cursor")
            if not cursor or pages >= 2 or self.rng.random() < 0.5:
                break
            pages += 1
            response = self.call(
                "GET",
                f"{API}/opportunities",
                "/api/v1/opportunities?cursor",
                params={**params, "cursor": cursor},
            )

    @task(12)
    def read_opportunity(self) -> None:
        name = self.pick()
        if name:
            self.read(name)

    @task(6)
    def list_leads(self) -> None:
        params = self.rng.choice([{}, {"status": "Lead,Open"}, {"ordering": "lead_name"}])
        self.call("GET", f"{API}/leads", "/api/v1/leads?filters", params=params)

    # --- writes ---------------------------------------------------------------------------------
    @task(3)
    def create_lead(self) -> str | None:
        tag = uuid.uuid4().hex[:10]
        body = {
            "lead_name": f"Load Lead {tag}",
            "company_name": f"Load Company {tag}",
            "email_id": f"lead.{tag}@load.example",
            "source": self.rng.choice(SETUP["sources"]),
        }
        response = self.call("POST", f"{API}/leads", "/api/v1/leads", expect=(201,), json=body)
        if response.status_code != 201:
            return None
        name = response.json()["name"]
        ack("create", doctype="lead", name=name, by=self.username, email_id=body["email_id"])
        self.leads.append(name)
        return name

    @task(6)
    def create_opportunity(self) -> None:
        lead = self.rng.choice(self.leads) if self.leads else self.create_lead()
        if lead is None:
            return
        items = [
            {"item_code": code, "qty": self.rng.randint(1, 10), "rate": rate}
            for code, rate in self.rng.sample(SETUP["items"], self.rng.randint(1, 3))
        ]
        body = {
            "opportunity_from": "Lead",
            "party_name": lead,
            "sales_stage": self.rng.choice(SETUP["sales_stages"]),
            "expected_closing": (TODAY + timedelta(days=self.rng.randint(7, 120))).isoformat(),
            "with_items": True,
            "items": items,
        }
        response = self.call(
            "POST", f"{API}/opportunities", "/api/v1/opportunities", expect=(201,), json=body
        )
        if response.status_code == 201:
            doc = response.json()
            ack(
                "create",
                doctype="opportunity",
                name=doc["name"],
                by=self.username,
                version=doc["version"],
                items=len(items),
            )
            self.mine[doc["name"]] = {"status": doc["status"], "quoted": False}

    @task(10)
    def change_opportunity(self) -> None:
        """Read, then PATCH with the version read; on 409 read again and retry once."""
        name = self.pick()
        doc = self.read(name) if name else None
        if doc is None or doc["status"] not in ACTIVE:
            return
        change = {
            "to_discuss": f"load {uuid.uuid4().hex}",
            "probability": self.rng.randint(5, 95),
            "expected_closing": (TODAY + timedelta(days=self.rng.randint(7, 120))).isoformat(),
        }
        for attempt in range(2):
            response = self.call(
                "PATCH",
                f"{API}/opportunities/{name}",
                "/api/v1/opportunities/{name}",
                expect=(200, 409),
                json={**change, "version": doc["version"]},
            )
            if response.status_code == 200:
                ack(
                    "update",
                    doctype="opportunity",
                    name=name,
                    version=response.json()["version"],
                    fields=change,
                )
                return
            if response.status_code != 409:
                return
            self.conflict("PATCH", "/api/v1/opportunities/{name}", response)
            doc = self.read(name) if attempt == 0 else None
            if doc is None or doc["status"] not in ACTIVE:
                return

    @task(3)
    def lose_or_reopen(self) -> None:
        """Declare one of my open opportunities lost, or reopen a lost one."""
        candidates = [n for n, m in self.mine.items() if not m["quoted"]]
        if not candidates:
            return
        name = self.rng.choice(candidates)
        doc = self.read(name)
        if doc is None:
            return
        if doc["status"] == "Lost":
            verb, body, label = (
                "reopen",
                {"version": doc["version"]},
                "/api/v1/opportunities/{name}/reopen",
            )
        elif doc["status"] in ACTIVE:
            verb, label = "declare-lost", "/api/v1/opportunities/{name}/declare-lost"
            body = {
                "version": doc["version"],
                "lost_reasons": [self.rng.choice(SETUP["lost_reasons"])],
                "order_lost_reason": "load test",
            }
        else:
            return
        path = f"{API}/opportunities/{name}/{verb}"
        response = self.call("POST", path, label, expect=(200, 409), json=body)
        if response.status_code == 409:
            self.conflict("POST", label, response)
        elif response.status_code == 200:
            doc = response.json()
            self.mine[name]["status"] = doc["status"]
            ack(
                "update",
                doctype="opportunity",
                name=name,
                version=doc["version"],
                fields={"status": doc["status"]},
            )

    @task(2)
    def make_quotation(self) -> None:
        candidates = [n for n, m in self.mine.items() if m["status"] in ACTIVE and not m["quoted"]]
        if not candidates:
            return
        name = self.rng.choice(candidates)
        response = self.call(
            "POST",
            f"{API}/opportunities/{name}/make-quotation",
            "/api/v1/opportunities/{name}/make-quotation",
            expect=(201,),
        )
        if response.status_code != 201:
            return
        quotation = response.json()
        self.mine[name]["quoted"] = True
        ack(
            "create",
            doctype="quotation",
            name=quotation["name"],
            by=self.username,
            opportunity=name,
        )
        if self.rng.random() < 0.5:
            return  # left as a draft
        # submitted: the quotation is Open and the opportunity moves to Quotation
        response = self.call(
            "POST",
            f"{API}/quotations/{quotation['name']}/submit",
            "/api/v1/quotations/{name}/submit",
            json={"version": quotation["version"]},
        )
        if response.status_code == 200:
            done = response.json()
            ack(
                "update",
                doctype="quotation",
                name=done["name"],
                version=done["version"],
                fields={"docstatus": done["docstatus"], "status": done["status"]},
                opportunity=name,
            )

    # --- pages through the browser session ------------------------------------------------------
    @task(3)
    def home_page(self) -> None:
        self.get_page("/", "page /")

    @task(3)
    def board_page(self) -> None:
        self.get_page("/crm/opportunities/board/", "page /crm/opportunities/board/")

    @task(3)
    def list_page(self) -> None:
        self.get_page("/crm/opportunities/?status=Open", "page /crm/opportunities/?status=Open")

    @task(3)
    def detail_page(self) -> None:
        name = self.pick()
        if name:
            self.get_page(f"/crm/opportunities/{name}/", "page /crm/opportunities/{name}/")

    @task(1)
    def lead_list_page(self) -> None:
        self.get_page("/crm/leads/", "page /crm/leads/")
