"""The committed OpenAPI document, and a fuzz of every read-only endpoint against it."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from opportune.testing import ApiClient
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


# --- fuzzing the read-only endpoints --------------------------------------------------------------
# Loaded at collection from the in-process WSGI app (the document needs no database).
read_only = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    method="GET"
)
# The coverage phase is deterministic and sends the boundary cases that break servers (wrong
# types, empty and huge values, each parameter alone); random fuzzing on top would double the
# run time for little more, so it is off to keep the run near a minute.
read_only.config.phases.fuzzing.enabled = False


@pytest.fixture
def manager_auth(manager) -> dict[str, str]:
    return ApiClient(manager).headers


@pytest.fixture
def wsgi_in_test_transaction():
    """Called straight through WSGI, Django would close the database connection at the end of
    each request, and with it the test's transaction; Django's own test client stops that the
    same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@read_only.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_read_endpoints_never_answer_5xx(case, manager_auth, wsgi_in_test_transaction):
    """Whatever a client sends to a GET endpoint (as a manager), the answer is never a 5xx:
    bad input is a 4xx naming the problem (API.md)."""
    response = case.call(headers=manager_auth)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} query={case.query} answered "
        f"{response.status_code}: {response.text[:500]}"
    )
