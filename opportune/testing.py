"""Helpers for the tests of every app: users, factories, clients, browser log-in, a fixed clock.

A plain module, as healthchecks' ``hc/test.py``: tests import from here, never from a conftest
(STYLE.md). ``conftest.py`` builds its fixtures (the personas, ``api_as``, the browser) on these.
Only tests, conftests and bench scripts import this module; no app does (an import-linter
contract in pyproject.toml keeps it so).

Factories are plain functions that call the services, so test data passes the same rules as
real data.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from redis.exceptions import ConnectionError as RedisConnectionError

from opportune.accounts.models import ApiToken
from opportune.core.jobs import durable_job
from opportune.core.models import Comment
from opportune.crm import services as crm
from opportune.masters.models import CurrencyExchange, Item

PASSWORD = "pw"
"""Every user made by ``make_user`` logs in with it."""

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
"""Where the browser tests leave screenshots (of failures, and of the main pages)."""


# --- users and clients ----------------------------------------------------------------------------
def make_user(username: str, *roles: str, **extra) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_rota(boss: User, field: str, value: str, *, users: int = 4) -> list[User]:
    """A round-robin assignment rule "Rota" for opportunities whose ``field`` equals ``value``,
    over ``users`` new sales users rota0, rota1, ... (in that order)."""
    from opportune.accounts.roles import SALES_USER
    from opportune.automation.services import create_assignment_rule

    reps = [make_user(f"rota{n}", SALES_USER) for n in range(users)]
    create_assignment_rule(
        data={
            "name": "Rota",
            "document_type": "Opportunity",
            "assign_condition": {
                "match": "all",
                "conditions": [{"field": field, "op": "eq", "value": value}],
            },
            "rule": "Round Robin",
            "users": [u.username for u in reps],
        },
        by=boss,
    )
    return reps


def client_for(user: User) -> Client:
    """Django's test client, logged in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


class ApiClient:
    """A test client that talks JSON to /api/v1 with a user's bearer token."""

    def __init__(self, user: User | None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            _token, raw = ApiToken.issue(user, "test")
            self.headers["Authorization"] = f"Bearer {raw}"

    def _call(self, method: str, path: str, data=None, headers=None, **params):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        all_headers = {**self.headers, **(headers or {})}
        fn = getattr(self.client, method)
        if method in ("get", "delete"):
            return fn(url, params or None, headers=all_headers)
        return fn(
            url,
            data if data is not None else {},
            content_type="application/json",
            headers=all_headers,
        )

    def get(self, path, **params):
        return self._call("get", path, **params)

    def post(self, path, data=None, headers=None):
        return self._call("post", path, data, headers)

    def patch(self, path, data=None, headers=None):
        return self._call("patch", path, data, headers)

    def delete(self, path, headers=None):
        return self._call("delete", path, headers=headers)


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page of a Playwright ``page`` (the browser tests)."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


# --- concurrency (the PostgreSQL runs) ----------------------------------------------------------
THREADS = 8


def drop_sequences() -> None:
    """Drop the naming series' and rules' sequences (PostgreSQL; core.sequences), after a
    transactional test emptied their tables, so that numbers start again from 1."""
    with connection.cursor() as cursor:
        for name in _sequences(cursor, "core_series", "automation_rule_turn"):
            cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")


def _sequences(cursor: Any, *kinds: str) -> list[str]:
    """The sequences of those kinds (core.sequences.sequence_name); none on SQLite."""
    if connection.vendor != "postgresql":
        return []
    patterns = [kind.replace("_", "\\_") + "\\_%" for kind in kinds]
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE ANY(%s)", [patterns]
    )
    return [name for (name,) in cursor.fetchall()]


@contextmanager
def series_rewound() -> Iterator[None]:
    """The names taken inside are handed out again after it, for a test that makes the same
    documents twice and rolls the first back: PostgreSQL's naming sequences (core.sequences)
    do not roll back with a transaction, so they are set back to where they were."""
    saved = {}
    with connection.cursor() as cursor:
        for name in _sequences(cursor, "core_series"):
            cursor.execute(f"SELECT last_value, is_called FROM {name}")
            saved[name] = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        for name, (value, called) in saved.items():
            cursor.execute("SELECT setval(%s, %s, %s)", [name, value, called])


def run_in_threads(work: Callable[[int], list[str]]) -> list[str]:
    """Run ``work(thread_no)`` in THREADS threads started together; all names they got."""
    start = threading.Barrier(THREADS)
    names: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def body(thread_no: int) -> None:
        try:
            start.wait()
            got = work(thread_no)
            with lock:
                names.extend(got)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=body, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return names


# --- the job queue, and durable jobs for tests ---------------------------------------------------
@contextmanager
def real_queue(storage) -> Iterator:
    """Point the project's Huey at ``storage`` (a Huey storage: SQLite file, Redis, memory) with
    immediate mode off, so that tasks wait on the queue for a worker; then put it back."""
    saved = (HUEY._immediate, HUEY.storage, HUEY._timeout_handler)
    HUEY._immediate, HUEY.storage = False, storage
    storage.flush_all()
    try:
        yield HUEY
    finally:
        with suppress(RedisConnectionError):  # a test that stopped its Redis has nothing to flush
            storage.flush_all()
        HUEY._immediate, HUEY.storage, HUEY._timeout_handler = saved


NOTE_DOCTYPE = "Test job"
FLAKY_CALLS: dict[str, int] = {}


@durable_job("tests.note")
def note(
    *, marker: str, hold_file: str = "", started_file: str = "", hold_seconds: float = 60
) -> None:
    """A job's database effect, for the job tests: one comment named ``marker``; then it creates
    ``started_file`` and waits while ``hold_file`` exists (at most ``hold_seconds``), its
    transaction still open, so a test can kill the worker in the middle of it."""
    Comment.objects.create(reference_doctype=NOTE_DOCTYPE, reference_name=marker, content=marker)
    if started_file:
        Path(started_file).touch()
    deadline = time.monotonic() + hold_seconds
    while hold_file and Path(hold_file).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@durable_job("tests.flaky", max_attempts=3)
def flaky(*, marker: str, failures: int) -> None:
    """Writes its note, then raises for its first ``failures`` calls (in this process)."""
    Comment.objects.create(reference_doctype=NOTE_DOCTYPE, reference_name=marker, content=marker)
    calls = FLAKY_CALLS[marker] = FLAKY_CALLS.get(marker, 0) + 1
    if calls <= failures:
        raise RuntimeError(f"flaky failure {calls} of {failures}")


def notes(marker: str) -> int:
    """How many times the note ``marker`` was written (and committed)."""
    return Comment.objects.filter(reference_doctype=NOTE_DOCTYPE, reference_name=marker).count()


# --- a real SMTP server ---------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port of 127.0.0.1 that nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """What the SMTP server accepted: each message parsed, with its envelope's recipients and
    the client's address and port, one per connection (the same index in the three lists; a
    message is listed once its recipients are). ``refuse``: recipients answered with the given
    reply (``"550 No such user"``) instead of accepted; a test may change it as it goes."""

    def __init__(self, port: int, refuse: dict[str, str] | None = None) -> None:
        self.port = port
        self.refuse = dict(refuse or {})
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.peers: list[Any] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.recipients.append(list(envelope.rcpt_tos))
        self.peers.append(session.peer)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_inbox(refuse: dict[str, str] | None = None) -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd, in a thread on 127.0.0.1, a free port) for the duration: any
    process can send to ``smtp://127.0.0.1:<inbox.port>``; the test reads what it received."""
    port = free_port()
    inbox = Inbox(port, refuse)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@contextmanager
def smtp_server(refuse: dict[str, str] | None = None) -> Iterator[Inbox]:
    """``smtp_inbox``, with this process's Django mail sent to it over SMTP (Django's SMTP
    backend talks to it as to any mail server)."""
    with (
        smtp_inbox(refuse) as inbox,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=inbox.port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=10,
        ),
    ):
        yield inbox


# --- a fixed clock --------------------------------------------------------------------------------
def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    """A fixed moment in the current time zone, for the ``now=`` of a time-driven service
    (STYLE.md 10): a test that reads the clock after the service did fails when midnight (or
    New Year) falls between the two reads."""
    return timezone.make_aware(dt.datetime(year, month, day, hour))


# --- factories: plain functions that call the services ------------------------------------------
def make_item(code: str = "WIDGET", *, rate="100", uom="Nos", name=None) -> Item:
    return Item.objects.create(
        name=code, item_name=name or code.title(), standard_rate=Decimal(rate), stock_uom_id=uom
    )


def make_rate(from_currency: str, to_currency: str, rate: str, on: dt.date | None = None):
    return CurrencyExchange.objects.create(
        from_currency_id=from_currency,
        to_currency_id=to_currency,
        date=on or dt.date(2020, 1, 1),
        exchange_rate=Decimal(rate),
    )


def make_lead(by: User, **data):
    values = {
        "lead_name": "Ada Lovelace",
        "company_name": "Analytical Engines",
        "email_id": "ada@engines.example",
    }
    values.update(data)
    return crm.create_lead(data=values, by=by)


def make_customer(by: User, **data):
    values = {"customer_name": "Babbage Ltd"}
    values.update(data)
    return crm.create_customer(data=values, by=by)


def make_opportunity(by: User, party=None, *, now: dt.datetime | None = None, **data):
    """An opportunity of ``party`` (a new customer by default), made at ``now`` (the clock's)."""
    if party is None:
        party = make_customer(by)
    values = {"opportunity_from": party.doctype, "party_name": party.name}
    values.update(data)
    return crm.create_opportunity(data=values, by=by, now=now)


def seed_documents(root: User) -> None:
    """One record of every kind of document (a lead, a customer, a contact, an opportunity with
    an item and a comment, a submitted quotation and its sales order, a supplier, a supplier
    quotation, a request for quotation, a campaign, a competitor), made through the API by ``root`` (a superuser)."""
    api = ApiClient(root)

    def post(path: str, body: dict | None = None) -> dict:
        response = api.post(path, body or {})
        assert response.status_code == 201, (path, response.content)
        return response.json()

    make_item("W1", rate="10", name="Widget")
    make_rate("EUR", "USD", "1.1")
    post("campaigns", {"campaign_name": "Autumn"})
    post("competitors", {"competitor_name": "Difference Co"})
    post("leads", {"lead_name": "Ada Lovelace", "company_name": "Analytical Engines"})
    post("customers", {"customer_name": "Babbage Ltd"})
    post("contacts", {"first_name": "Charles", "last_name": "Babbage"})
    opportunity = post(
        "opportunities",
        {
            "opportunity_from": "Customer",
            "party_name": "Babbage Ltd",
            "items": [{"item_code": "W1", "qty": 2}],
        },
    )["name"]
    post(f"opportunities/{opportunity}/comments", {"content": "Called them."})
    quotation = post(f"opportunities/{opportunity}/make-quotation")["name"]
    assert api.post(f"quotations/{quotation}/submit").status_code == 200
    post(f"quotations/{quotation}/make-sales-order")
    post("suppliers", {"supplier_name": "Acme"})
    post(f"opportunities/{opportunity}/make-supplier-quotation", {"supplier": "Acme"})
    post(f"opportunities/{opportunity}/make-request-for-quotation", {"suppliers": ["Acme"]})


def body_of(response: Any) -> bytes:
    """The whole body of a response, streamed (an export) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)
