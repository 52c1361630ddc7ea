"""Hostile input to every write of the API (API.md): HTML and script are stored as text, exactly;
NUL characters, wrong types, huge numbers, too long text, impossible dates and deep JSON are a 4xx
naming the field and change nothing.

The operations and their fields come from the OpenAPI document, so a new field or operation is
covered as soon as it is added; what each operation needs to succeed (a valid body, the record it
acts on) is BASE below, and a test fails for a write operation that has no entry there.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.urls import URLResolver, get_resolver

from opportune.testing import ApiClient, seed_documents

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "openapi.json").read_text(encoding="utf-8")
)
SCHEMAS = DOCUMENT["components"]["schemas"]
ITEM = {"item_code": "W1", "qty": 1, "rate": 10}

EMAIL = {"recipients": ["grace@babbage.example"], "subject": "Offer", "content": "Hello"}
# A body each write accepts as it is (``{key}``: the seeded record of the path). PATCH and
# the actions that take only a version need none.
BASE: dict[str, dict[str, Any]] = {
    "POST /api/v1/campaigns": {"campaign_name": "Spring"},
    "POST /api/v1/competitors": {"competitor_name": "Rival"},
    "POST /api/v1/contacts": {
        "first_name": "Grace",
        "link_doctype": "Customer",
        "link_name": "Babbage Ltd",
    },
    "POST /api/v1/currencies": {"name": "XYZ", "currency_name": "Zed"},
    "POST /api/v1/currency-exchanges": {
        "from_currency": "EUR",
        "to_currency": "USD",
        "date": "2026-01-02",
        "exchange_rate": "1.2",
    },
    "POST /api/v1/customer-groups": {"customer_group_name": "Retail"},
    "POST /api/v1/customers": {"customer_name": "Hopper Inc"},
    "POST /api/v1/events": {"subject": "Call Grace", "starts_on": "2099-01-01T09:00:00Z"},
    "POST /api/v1/industries": {"industry": "Mining"},
    "POST /api/v1/item-groups": {"item_group_name": "Parts"},
    "POST /api/v1/items": {"item_code": "G2", "item_name": "Gadget"},
    "POST /api/v1/lead-sources": {"source_name": "Fair"},
    "POST /api/v1/leads": {"lead_name": "Grace Hopper"},
    "POST /api/v1/leads/{name}/comments": {"content": "Called."},
    "POST /api/v1/leads/{name}/make-opportunity": {},
    "PATCH /api/v1/notifications/settings": {"email": {"mention": True}},
    "POST /api/v1/lost-reasons": {"lost_reason": "Late"},
    "POST /api/v1/opportunities": {
        "opportunity_from": "Customer",
        "party_name": "Babbage Ltd",
        "items": [ITEM],
    },
    "POST /api/v1/opportunities/{name}/comments": {"content": "Called."},
    "POST /api/v1/opportunities/{name}/communications": EMAIL,
    "POST /api/v1/leads/{name}/communications": EMAIL,
    "POST /api/v1/email-accounts": {"name": "Sales", "email_id": "sales@example.com"},
    # a public address written as one (no DNS in the tests)
    "POST /api/v1/webhooks": {
        "name": "Sync",
        "url": "https://93.184.215.14/hook",
        "events": ["opportunity.created"],
    },
    "POST /api/v1/opportunities/{name}/declare-lost": {"lost_reasons": ["Timing"]},
    "POST /api/v1/saved-views": {
        "label": "Open deals",
        "resource": "opportunities",
        "query": "status=Open",
    },
    "POST /api/v1/opportunities/{name}/make-request-for-quotation": {"suppliers": ["Acme"]},
    "POST /api/v1/opportunities/{name}/make-supplier-quotation": {"supplier": "Acme"},
    "POST /api/v1/opportunity-types": {"name": "Upsell"},
    "POST /api/v1/quotations": {
        "quotation_to": "Customer",
        "party_name": "Babbage Ltd",
        "items": [ITEM],
    },
    "POST /api/v1/quotations/{name}/declare-lost": {"lost_reasons": ["Timing"]},
    "POST /api/v1/requests-for-quotation": {
        "message_for_supplier": "Hi",
        "items": [{"item_code": "W1", "qty": 1}],
    },
    "POST /api/v1/requests-for-quotation/{name}/make-supplier-quotation": {"supplier": "Acme"},
    "POST /api/v1/sales-orders": {
        "customer": "Babbage Ltd",
        "delivery_date": "2099-01-01",
        "items": [ITEM],
    },
    "POST /api/v1/sales-stages": {"stage_name": "Demo"},
    "POST /api/v1/supplier-groups": {"supplier_group_name": "Tools"},
    "POST /api/v1/supplier-quotations": {"supplier": "Acme", "items": [ITEM]},
    "POST /api/v1/suppliers": {"supplier_name": "Bolt"},
    "POST /api/v1/territories": {"territory_name": "North"},
    "POST /api/v1/tokens": {"label": "ci"},
    "POST /api/v1/uoms": {"uom_name": "Crate"},
    "POST /api/v1/assignment-rules": {
        "name": "Rota",
        "document_type": "Opportunity",
        "assign_condition": {"conditions": [{"field": "status", "op": "eq", "value": "Open"}]},
        "rule": "Round Robin",
        "users": ["root"],
    },
    # the seeded opportunity (seed_documents makes one, the first of the year)
    "POST /api/v1/assignment-rules/dry-run": {
        "document_type": "Opportunity",
        "name": f"CRM-OPP-{dt.date.today().year}-00001",
        "document": {"status": "Open"},
    },
    "POST /api/v1/sales-targets": {"user": "root", "month": "2030-01-01", "amount": "5"},
    # merging a fresh one (World.key) into the seeded one: the lead, its contact, the customer
    "POST /api/v1/leads/{name}/merge": {"into": f"CRM-LEAD-{dt.date.today().year}-00001"},
    "POST /api/v1/contacts/{name}/merge": {"into": f"CONT-{dt.date.today().year}-00001"},
    "POST /api/v1/customers/{name}/merge": {"into": "Babbage Ltd", "keep": {"phone": "this"}},
    "POST /api/v1/activities": {
        "activity_type": "Call",
        "summary": "Call Grace",
        "due_date": "2099-01-01",
        "reference_type": "Customer",
        "reference_name": "Babbage Ltd",
    },
    "POST /api/v1/activity-types": {"name": "Visit"},
    "POST /api/v1/assignments": {
        "reference_type": "Opportunity",
        "reference_name": f"CRM-OPP-{dt.date.today().year}-00001",
        "allocated_to": "root",
    },
}
# Fields that are not data: the version guards concurrent writes (its own tests).
NOT_DATA = {"version"}


def _schema(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    """A schema without its ``$ref`` and without the ``null`` alternative of an optional field."""
    if "$ref" in ref_or_schema:
        return _schema(SCHEMAS[ref_or_schema["$ref"].rsplit("/", 1)[-1]])
    alternatives = [a for a in ref_or_schema.get("anyOf", []) if a.get("type") != "null"]
    if len(alternatives) == 1:
        return _schema({**ref_or_schema, **alternatives[0], "anyOf": []})
    return ref_or_schema


def _kind(schema: dict[str, Any]) -> str:
    types = {a.get("type") for a in schema.get("anyOf", [])} or {schema.get("type")}
    if types & {"number", "integer"}:
        return "number"
    if schema.get("format") in ("date", "date-time"):
        return "date"
    if "enum" in schema:
        return "choice"
    kinds = {"string": "text", "boolean": "boolean", "array": "array"}
    return kinds.get(str(schema.get("type")), "?")


def write_operations() -> Iterator[tuple[str, dict[str, Any]]]:
    """The operations whose body carries data (not only the version the client read)."""
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:  # not raw MIME (inbound-email: its own tests)
                body = _schema(content["application/json"]["schema"])
                if set(body.get("properties", {})) - NOT_DATA:
                    yield f"{method.upper()} {path}", body


def fields(
    schema: dict[str, Any], base: dict[str, Any], prefix: str = ""
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(field path, kind, schema)`` of every field of a body, with the fields of the first row
    of each list of rows the base body has (``items[0].qty``)."""
    for name, prop in schema.get("properties", {}).items():
        if name in NOT_DATA:
            continue
        prop = _schema(prop)
        path = f"{prefix}{name}"
        kind = _kind(prop)
        if kind == "array":
            row = _schema(prop.get("items", {}))
            if row.get("properties") and base.get(name):
                yield from fields(row, base[name][0], f"{path}[0].")
            elif row.get("type") == "string":
                yield path, "list of text", prop
            continue
        yield path, kind, prop


def cases(*kinds: str) -> list[Any]:
    out = []
    for operation, schema in write_operations():
        base = BASE.get(operation, {})
        for path, kind, prop in fields(schema, base):
            if kind in kinds:
                out.append(pytest.param(operation, path, prop, id=f"{operation} {path}"))
    return out


def with_value(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """The base body with ``value`` at ``path``. A master's ``name`` is its title's key too
    (``{"industry": x}`` or ``{"name": x}``): sent alone."""
    body = json.loads(json.dumps(base))
    if path == "name" and "name" not in body and body:
        del body[next(iter(body))]
    target = body
    parts = path.replace("[0]", "").split(".")
    for part in parts[:-1]:
        target = target[part][0]
    target[parts[-1]] = value
    return body


def value_at(body: dict[str, Any], path: str) -> Any:
    parts = path.replace("[0]", "").split(".")
    for part in parts[:-1]:
        body = body[part][0]
    return body.get(parts[-1], "(not in the answer)")


# --- the world: one record of every kind, made through the API -----------------------------------
class World:
    def __init__(self) -> None:
        root = User.objects.create_superuser("root", "root@example.com", "pw")
        seed_documents(root)
        self.api = ApiClient(root)

    def key(self, operation: str) -> str:
        """The seeded record the operation acts on (a fresh one where the seeded one's state
        does not allow it)."""
        if operation == "POST /api/v1/opportunities/{name}/declare-lost":
            return self.made(
                "opportunities", {"opportunity_from": "Customer", "party_name": "Babbage Ltd"}
            )
        if operation in (
            "PATCH /api/v1/quotations/{name}",
            "POST /api/v1/quotations/{name}/declare-lost",
        ):
            opportunity = self.key("POST /api/v1/opportunities/{name}/comments")
            made = self.made(f"opportunities/{opportunity}/make-quotation", {})
            if operation.startswith("POST"):
                assert self.api.post(f"quotations/{made}/submit").status_code == 200
            return made
        if operation == "POST /api/v1/requests-for-quotation/{name}/make-supplier-quotation":
            rfq = self.key("PATCH /api/v1/requests-for-quotation/{name}")
            if self.api.get(f"requests-for-quotation/{rfq}").json()["docstatus"] == 0:
                assert self.api.post(f"requests-for-quotation/{rfq}/submit").status_code == 200
            return rfq
        rules = "PATCH /api/v1/assignment-rules/{name}"
        if operation == rules and not self.api.get("assignment-rules").json()["results"]:
            return self.made("assignment-rules", BASE["POST /api/v1/assignment-rules"])
        activity = "/api/v1/activities/{name}" in operation
        if activity and not self.api.get("activities").json()["results"]:
            return self.made("activities", BASE["POST /api/v1/activities"])
        webhooks = operation.endswith("/webhooks/{name}")
        if webhooks and not self.api.get("webhooks").json()["results"]:
            return self.made("webhooks", BASE["POST /api/v1/webhooks"])
        views = operation.endswith("/saved-views/{name}")
        if views and not self.api.get("saved-views").json()["results"]:
            return self.made("saved-views", BASE["POST /api/v1/saved-views"])
        accounts = operation.endswith("/email-accounts/{name}")
        if accounts and not self.api.get("email-accounts").json()["results"]:
            return self.made("email-accounts", BASE["POST /api/v1/email-accounts"])
        merged = {"leads": {"lead_name": "Merged"}, "customers": {"customer_name": "Merged"}}
        if operation.endswith("/merge"):  # a fresh one to merge into the seeded one
            kind = operation.split("/")[3]
            return self.made(kind, merged.get(kind, {"first_name": "Merged"}))
        if operation.endswith("/events/{id}"):  # one's own calendar: root's first event
            made = self.api.post("events", BASE["POST /api/v1/events"])
            assert made.status_code == 201, made.content
            return str(made.json()["id"])
        collection = operation.split(" ", 1)[1].split("/{", 1)[0]
        results = self.api.get(collection).json()
        results = results["results"] if isinstance(results, dict) else results
        return str(results[-1].get("name", results[-1].get("id")))  # the first made

    def made(self, path: str, body: dict[str, Any]) -> str:
        response = self.api.post(path, body)
        assert response.status_code == 201, response.content
        return str(response.json()["name"])

    def url(self, operation: str) -> str:
        """The operation's URL, its path parameter naming a seeded record."""
        path = operation.split(" ", 1)[1]
        if "{" not in path:
            return path
        key = self.key(operation)
        return path.replace("{name}", key).replace("{id}", key)

    def prepare(self, operation: str) -> tuple[str, dict[str, str]]:
        """The URL and headers to send to: the record the path names, made first if it needs
        one, and the version it has (a change of a document sends the one it read)."""
        url = self.url(operation)
        headers = dict(self.api.headers)
        path = operation.split(" ", 1)[1]
        document_url = url if path.endswith("}") else url.rsplit("/", 1)[0]
        if path == "/api/v1/settings/crm" or "{" in path:
            document = self.api.get(document_url if "{" in path else url)
            if document.status_code == 200 and "version" in document.json():
                headers["If-Match"] = str(document.json()["version"])
        return url, headers

    def send(self, operation: str, body: Any, prepared: tuple[str, dict[str, str]]) -> Any:
        """Send ``body`` (a text goes as it is) to the prepared URL."""
        url, headers = prepared
        content = body if isinstance(body, str) else json.dumps(body)
        method = getattr(self.api.client, operation.split(" ", 1)[0].lower())
        return method(url, content, content_type="application/json", headers=headers)


@functools.cache
def _table_reads() -> list[tuple[str, str]]:
    """Each table of the project's models (proxies share theirs) with the SQL that reads all of
    its rows but when a token was last used (each request sets it)."""
    quote = connection.ops.quote_name
    reads = []
    for model in apps.get_models():
        if not model.__module__.startswith("opportune.") or model._meta.proxy:
            continue
        columns = [
            f.column for f in model._meta.concrete_fields if not f.column.startswith("last_used")
        ]
        table = quote(model._meta.db_table)
        order = quote(model._meta.pk.column)
        select = f"SELECT {', '.join(quote(c) for c in columns)} FROM {table} ORDER BY {order}"
        reads.append((table, select))
    return reads


def snapshot() -> dict[str, Any]:
    """Every row of every table of the project's apps (few: a seeded world), read as the
    database gives them. Every table's count comes in one query; the rows are read only from
    the tables that have some (an empty table is 0, and a row written to it makes a list of
    rows instead: still a change)."""
    reads = _table_reads()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t, _ in reads))
        counts = cursor.fetchone()
        rows: dict[str, Any] = {}
        for (table, select), count in zip(reads, counts, strict=True):
            if count:
                cursor.execute(select)
                rows[table] = cursor.fetchall()
            else:
                rows[table] = 0
    return rows


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Seeded once for the module, in a transaction rolled back at its end; each test runs in
    its own savepoint inside it (pytest-django's ``db``), so it starts from the same records."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield World()
        transaction.set_rollback(True)


@pytest.fixture
def world(seeded, db) -> World:
    return seeded


def assert_refused_naming(world: World, operation: str, body: Any, field: str) -> dict[str, Any]:
    """The body is a 4xx naming ``field``, and nothing changed."""
    prepared = world.prepare(operation)
    before = snapshot()
    response = world.send(operation, body, prepared)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    error: dict[str, Any] = response.json()["error"]
    assert field in error["fields"], error
    assert snapshot() == before
    return error


# --- the base bodies are accepted ---------------------------------------------------------------
def test_every_write_operation_has_a_base_body():
    """A new POST needs a body here that it accepts, so that its fields are tested below."""
    missing = [
        operation
        for operation, schema in write_operations()
        if operation.startswith("POST") and operation not in BASE and schema.get("required")
    ]
    assert missing == []


@pytest.mark.parametrize("operation", [op for op, _ in write_operations()])
def test_the_base_body_is_accepted(world, operation):
    response = world.send(operation, BASE.get(operation, {}), world.prepare(operation))
    assert response.status_code in (200, 201), response.content[:500]


# --- HTML and script: stored as text, exactly ---------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


# Text fields that name another record (or hold a code, an e-mail, a web address, a status):
# those may refuse markup as an unknown name or a bad format, naming the field. Every other text
# field (names, notes, descriptions, comments, terms...) takes it as it is.
CONSTRAINED = {
    "allocated_to",  # assignments, activities: a username
    "activity_type",  # activities: an activity type's name
    "url",  # webhooks: an http(s) URL of a public host
    "user",  # sales targets: a username
    "campaign",
    "company_currency",
    "contact_by",
    "contact_email",
    "contact_person",
    "currency",
    "customer",
    "customer_group",
    "default_currency",
    "document_type",  # assignment rules: a registered document type
    "email_id",
    "field",  # an assignment rule's user field
    "from_currency",
    "industry",
    "into",  # a merge's survivor
    "item_code",
    "item_group",
    "lead_owner",
    "link_name",
    "name",  # a currency's ISO code
    "opportunity",
    "opportunity_owner",
    "opportunity_type",
    "parent_territory",
    "party_name",
    "reference_name",  # an assignment's or an activity's document
    "reference_type",
    "sales_stage",
    "source",
    "status",
    "stock_uom",
    "supplier",
    "supplier_group",
    "symbol",  # at most a few characters
    "territory",
    "time_zone",
    "to_currency",
    "uom",
    "website",
}


def stored(world: World, operation: str, url: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The record as read back through the API after the write (the answer where there is no
    reading it back: an action's, a token's)."""
    method, path = operation.split(" ", 1)
    if method == "PATCH":
        return dict(world.api.get(url).json())
    if "{" not in path:
        key = answer.get("name", answer.get("id"))
        again = world.api.get(f"{url}/{key}")
        if again.status_code == 200:
            return dict(again.json())
    return answer


@pytest.mark.parametrize(("operation", "field", "prop"), cases("text"))
@pytest.mark.parametrize("value", [SCRIPT, IMG], ids=["script", "img"])
def test_html_is_stored_as_text(world, operation, field, prop, value):
    body = with_value(BASE.get(operation, {}), field, value)
    if field.rsplit(".", 1)[-1] in CONSTRAINED:
        prepared = world.prepare(operation)
        before = snapshot()
        response = world.send(operation, body, prepared)
        if response.status_code >= 400:  # refused as any unknown name: naming it, no change
            assert 400 <= response.status_code < 500, response.content[:300]
            assert field in response.json()["error"]["fields"], response.content[:300]
            assert snapshot() == before
            return
    else:
        prepared = world.prepare(operation)
        response = world.send(operation, body, prepared)
    assert response.status_code in (200, 201), response.content[:300]
    record = stored(world, operation, prepared[0], response.json())
    assert value_at(record, field) in (value, "(not in the answer)"), record


# --- refused, naming the field, changing nothing --------------------------------------------------
def kinds_cases(*kinds: str) -> list[Any]:
    out = []
    for operation, schema in write_operations():
        for path, kind, prop in fields(schema, BASE.get(operation, {})):
            if kind in kinds:
                out.append(pytest.param(operation, path, kind, prop, id=f"{operation} {path}"))
    return out


@pytest.mark.parametrize(
    ("operation", "field", "kind", "prop"), kinds_cases("text", "list of text")
)
def test_nul_characters_are_refused(world, operation, field, kind, prop):
    value = ["Ada\x00Lovelace"] if kind == "list of text" else "Ada\x00Lovelace"
    body = with_value(BASE.get(operation, {}), field, value)
    assert_refused_naming(world, operation, body, field)


# Long text: bounded only by the size of a body (DATA_UPLOAD_MAX_MEMORY_SIZE, else 413).
LONG_TEXT = {
    "description",
    "message_for_supplier",
    "notes",
    "order_lost_reason",
    "terms",
    "to_discuss",
}


def too_long(prop: dict[str, Any]) -> str:
    if prop.get("format") == "email":  # at most 254 characters (RFC 5321)
        return "a" * 250 + "@example.com"
    return "x" * (prop["maxLength"] + 1)


@pytest.mark.parametrize(
    ("operation", "field", "kind", "prop"),
    [p for p in kinds_cases("text") if p.values[1].rsplit(".", 1)[-1] not in LONG_TEXT],
)
def test_text_longer_than_its_field_is_refused(world, operation, field, kind, prop):
    body = with_value(BASE.get(operation, {}), field, too_long(prop))
    assert_refused_naming(world, operation, body, field)


def test_every_text_field_of_a_write_has_a_maximum_length_or_is_long_text():
    unbounded = {
        p.values[1].rsplit(".", 1)[-1]
        for p in kinds_cases("text")
        if "maxLength" not in p.values[3] and p.values[3].get("format") != "email"
    }
    assert unbounded == LONG_TEXT


@pytest.mark.parametrize(
    ("operation", "field", "kind", "prop"),
    kinds_cases("text", "list of text", "number", "date", "choice", "boolean"),
)
def test_a_value_of_the_wrong_type_is_refused(world, operation, field, kind, prop):
    body = with_value(BASE.get(operation, {}), field, {"nested": ["object"]})
    assert_refused_naming(world, operation, body, field)


HUGE = "1" + "0" * 100  # 10**100, a JSON number
NUMBERS = {
    "1e400": "1e400",  # beyond a float: Python's JSON reads it as infinity
    "10**100": HUGE,
    "-10**100": "-" + HUGE,
    "text 1e400": '"1e400"',
    "NaN": '"NaN"',
    "Infinity": '"Infinity"',
}


@pytest.mark.parametrize(("operation", "field", "kind", "prop"), kinds_cases("number"))
@pytest.mark.parametrize("number", list(NUMBERS.values()), ids=list(NUMBERS))
def test_a_huge_number_is_refused(world, operation, field, kind, prop, number):
    body = json.dumps(with_value(BASE.get(operation, {}), field, "@NUMBER@"))
    assert_refused_naming(world, operation, body.replace('"@NUMBER@"', number), field)


@pytest.mark.parametrize(("operation", "field", "kind", "prop"), kinds_cases("date"))
@pytest.mark.parametrize("value", ["2026-02-30", "not a date", "99999-12-31", "2026-13-01"])
def test_an_impossible_date_is_refused(world, operation, field, kind, prop, value):
    body = with_value(BASE.get(operation, {}), field, value)
    assert_refused_naming(world, operation, body, field)


DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize("operation", [op for op, _ in write_operations()])
def test_deeply_nested_json_is_refused(world, operation):
    """10,000 nested arrays, as the whole body and as the value of the first field: a body
    that cannot be read (no field to name), and nothing changes."""
    schema = dict(write_operations())[operation]
    field = next(iter(fields(schema, BASE.get(operation, {}))))[0]
    in_field = json.dumps(with_value(BASE.get(operation, {}), field, "@DEEP@"))
    for body in (in_field.replace('"@DEEP@"', DEEP), DEEP):
        prepared = world.prepare(operation)
        before = snapshot()
        response = world.send(operation, body, prepared)
        assert response.status_code == 400, response.content[:300]
        assert response.json() == {
            "error": {
                "code": "bad_request",
                "message": "Cannot parse request body",
                "fields": {},
            }
        }
        assert snapshot() == before


# --- shown escaped on every page -----------------------------------------------------------------
PAYLOAD = SCRIPT + IMG
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
RAW = ("<script>alert(1)", "<img src=x")
NOT_PAGES = {"logout", "healthz", "quotation_pdf"}  # no page to show (the PDF: its own test)


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif pattern.name not in NOT_PAGES:
            yield "/" + prefix + str(pattern.pattern), pattern.name


def _hostile_world(world: World) -> list[str]:
    """Every write, with the markup in every free text field; the names it made."""
    made = []
    for operation, schema in write_operations():
        body = BASE.get(operation, {})
        for field, kind, prop in fields(schema, body):
            fits = prop.get("maxLength", len(PAYLOAD)) >= len(PAYLOAD)
            if kind == "text" and fits and field.rsplit(".", 1)[-1] not in CONSTRAINED:
                body = with_value(body, field, PAYLOAD)
        try:
            prepared = world.prepare(operation)
        except AssertionError:  # one after another, some find no record in the state they need
            continue
        response = world.send(operation, body, prepared)
        # ... or find it in a state that refuses them (409)
        assert response.status_code in (200, 201, 409), (operation, response.content[:300])
        made.append(str(response.json().get("name", "")))
    return made


def test_markup_is_shown_escaped_on_every_page(world):
    """The markup, sent to every free text field of every write, is on the pages as text:
    escaped on each kind of document's page, never raw on any page."""
    names = set(_hostile_world(world))
    client = Client()
    client.force_login(User.objects.get(username="root"))
    client.post("/crm/leads/new/", {"lead_name": PAYLOAD, "company_name": PAYLOAD})
    shown: set[str] = set()
    for pattern, url_name in _patterns(get_resolver().url_patterns):
        if pattern.startswith(("/admin/", "/api/")) or "<int:" in pattern or "<slug:" in pattern:
            continue
        urls = (
            [pattern.replace("<str:name>", name) for name in names] if "<" in pattern else [pattern]
        )
        for url in urls:
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            text = response.content.decode()
            assert not [raw for raw in RAW if raw in text], url
            if ESCAPED in text:
                shown.add(url_name)
    assert {
        "customer_list",
        "lead_list",
        "lead_detail",
        "opportunity_list",
        "opportunity_detail",
        "quotation_detail",
        "sales_order_detail",
        "supplier_quotation_detail",
        "rfq_detail",
        "supplier_list",
    } <= shown, sorted(shown)


def test_an_imported_file_is_shown_escaped(sales):
    """Markup in a file's column titles, its cells and its name is text on the import pages
    (the mapping, the dry run's errors, the list of one's imports)."""
    client = Client()
    client.force_login(sales)
    written = io.StringIO()
    csv.writer(written).writerows([[PAYLOAD, "Person Name", "Email"], [PAYLOAD, "", "bad"]])
    upload = io.BytesIO(written.getvalue().encode())
    upload.name = f"{PAYLOAD}.csv"
    response = client.post("/import/", {"doctype": "Lead", "file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"])
    job = page.context["job"]
    posted = {"col-0": "notes", "col-1": "lead_name", "col-2": "email_id"}
    checked = client.post(f"/import/{job.pk}/check/", posted)
    assert checked.status_code == 302
    for url in ("/import/", f"/import/{job.pk}/"):
        text = client.get(url).content.decode()
        assert not [raw for raw in RAW if raw in text], url
    assert ESCAPED in page.content.decode()
