"""The committed OpenAPI document, and a fuzz of every operation against it, as every role."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from opportune.accounts.roles import PURCHASE_USER, SALES_MANAGER, SALES_USER, SYSTEM_MANAGER
from opportune.testing import ApiClient, make_user, seed_documents
from opportune.wsgi import application

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REGENERATE = "make openapi  (or: python manage.py export_openapi > docs/openapi.json)"


def generated_openapi() -> str:
    out = StringIO()
    call_command("export_openapi", stdout=out)
    return out.getvalue()


def test_committed_openapi_matches_the_api():
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    generated = generated_openapi()
    if committed != generated:
        old, new = (
            set(json.loads(text)["paths"]) if text else set() for text in (committed, generated)
        )
        pytest.fail(
            "docs/openapi.json differs from the API. Regenerate it with: "
            f"{REGENERATE}. Paths added: {sorted(new - old)}; removed: {sorted(old - new)}.",
            pytrace=False,
        )


def test_export_is_stable_json():
    text = generated_openapi()
    assert text == generated_openapi()
    schema = json.loads(text)
    assert schema["openapi"].startswith("3.")
    assert text == json.dumps(schema, indent=2, sort_keys=True) + "\n"
    assert "/api/v1/currencies/{name}" in schema["paths"]
    assert "/api/v1/settings/crm" in schema["paths"]


# --- fuzzing every operation, as every role -------------------------------------------------------
# Every operation (GET, POST, PATCH, DELETE), each case sent with the token of each role: no 5xx,
# and every answer conforms to the document (a documented status, its content type, a body that
# matches the declared schema). Adding a role is one line here.
FUZZ_ROLES: dict[str, tuple[str, ...]] = {
    "sales user": (SALES_USER,),
    "sales manager": (SALES_MANAGER, SALES_USER),
    "purchase user": (PURCHASE_USER,),
    "system manager": (SYSTEM_MANAGER,),
    "no role": (),
}
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
every_operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
every_operation.config.phases.fuzzing.enabled = False


def keep_connection() -> None:
    """Called straight through WSGI, Django would close the database connection at the end of
    each request, and with it the test's transaction (on PostgreSQL); Django's own test client
    stops that the same way, and connects it again after each of its requests: so this is
    done before each WSGI call."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


@pytest.fixture
def wsgi_in_test_transaction():
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


class FuzzWorld:
    """The seeded records, a user of each role (their token headers), the cases sent so far."""

    def __init__(self) -> None:
        root = User.objects.create_superuser("root", "root@example.com", "pw")
        seed_documents(root)
        self.root_api = ApiClient(root)
        self.headers = {
            role: ApiClient(make_user(f"fuzz-{n}", *groups)).headers
            for n, (role, groups) in enumerate(FUZZ_ROLES.items())
        }
        self.sent = 0
        self._keys: dict[str, str | None] = {}

    def real_key(self, path: str) -> str | None:
        """The name (or id) of a seeded record the operation's path can take: the first of its
        collection's list (``/opportunities/{name}/reopen`` -> ``/opportunities``)."""
        collection = path.split("/{", 1)[0]
        if collection not in self._keys:
            self._keys[collection] = None
            response = self.root_api.get(collection)
            if response.status_code == 200:
                body = response.json()
                results = body["results"] if isinstance(body, dict) else body
                if results:
                    self._keys[collection] = str(results[0].get("name", results[0].get("id")))
        return self._keys[collection]


@pytest.fixture
def fuzz_world(db, wsgi_in_test_transaction) -> FuzzWorld:
    return FuzzWorld()


@every_operation.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_role_conforms(case, fuzz_world):
    """Whatever a client of any role sends to any operation, the answer is never a 5xx and
    always one the OpenAPI document declares.

    The coverage phase sends each operation its boundary cases (about 8,000 in all: each field
    missing, empty, too long, of the wrong type...). Each case goes once, the roles taking turns
    (every role gets about a quarter of each operation's cases), and a path parameter names in
    turn the fuzzer's value and a real record (seeded), so that the writes get past the lookup."""
    world = fuzz_world
    n = world.sent
    world.sent += 1
    role = list(FUZZ_ROLES)[n % len(FUZZ_ROLES)]
    auth = world.headers[role]
    if case.path_parameters and (n // len(FUZZ_ROLES)) % 2 == 0:
        key = world.real_key(case.operation.path)
        if key is not None:
            case.path_parameters = dict.fromkeys(case.path_parameters, key)
    keep_connection()
    with transaction.atomic():  # every case starts from the seeded records
        response = case.call(headers=auth)
        transaction.set_rollback(True)
    try:
        case.validate_response(response, checks=CONFORMANCE, headers=auth)
    except FailureGroup as failures:  # a BaseExceptionGroup: says what broke, not who sent it
        raise AssertionError(f"Sent as a {role}: {failures}") from None
