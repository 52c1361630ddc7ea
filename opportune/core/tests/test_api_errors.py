"""Every answer under /api/v1/ is JSON in the error format (API.md), also when no endpoint
answers it: an unknown path (404), a method the path does not have (405), a body too large to
read (413), a server error (500) and a database that does not answer (503).

The order: routing comes first, so an unknown path or method answers 404/405 with or without
credentials (the list of endpoints is public at /api/v1/openapi.json anyway); then
authentication (401); the body is read last, so a body too large for an anonymous caller is
still a 401."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings
from django.utils.crypto import get_random_string

from opportune.accounts.models import ApiToken
from opportune.core.api_documents import DocumentApi
from opportune.crm import access as crm_access
from opportune.crm.models import Customer, Lead
from opportune.masters import access as masters_access

pytestmark = pytest.mark.django_db

JSON = "application/json; charset=utf-8"


def token_client(user) -> Client:
    _token, raw = ApiToken.issue(user, "test")
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == JSON
    body = response.json()
    assert list(body) == ["error"]
    return body["error"]


# --- 404: no such endpoint ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing",
        "/api/v1/no/such/thing",
        "/api/v1/opportunities/",  # a trailing slash is another path
        "/api/v1/opportunities/CRM-OPP-2026-00001/no-such-action",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_an_unknown_path_is_a_json_404(sales, path, method):
    for client in (token_client(sales), Client(enforce_csrf_checks=True)):
        r = getattr(client, method)(path, content_type="application/json")
        assert error(r, 404) == {
            "code": "not_found",
            "message": f"Not found: {path} (the endpoints are listed at /api/v1/docs).",
            "fields": {},
        }


def test_the_api_root_is_a_json_404(sales):
    for client in (token_client(sales), Client(enforce_csrf_checks=True)):
        assert error(client.get("/api/v1/"), 404) == {
            "code": "not_found",
            "message": "Not found: /api/v1/ (the endpoints are listed at /api/v1/docs).",
            "fields": {},
        }


# --- 405: a path without that method ------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/opportunities", "GET, POST"),
        ("patch", "/api/v1/opportunities", "GET, POST"),
        ("delete", "/api/v1/customers", "GET, POST"),
        ("put", "/api/v1/customers/Babbage Ltd", "DELETE, GET, PATCH"),
        ("get", "/api/v1/opportunities/CRM-OPP-2026-00001/reopen", "POST"),
        ("delete", "/api/v1/settings/crm", "GET, PATCH"),
    ],
)
def test_a_method_the_path_does_not_have_is_a_json_405(manager, method, path, allowed):
    before = list(Customer.objects.values())
    for client in (token_client(manager), Client(enforce_csrf_checks=True)):
        r = getattr(client, method)(path, {}, content_type="application/json")
        assert error(r, 405) == {
            "code": "method_not_allowed",
            "message": f"{method.upper()} is not allowed on {path}; allowed: {allowed}.",
            "fields": {},
        }
        assert r["Allow"] == allowed
    assert list(Customer.objects.values()) == before


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_docs_and_the_schema_are_read_only(sales, path, method):
    for client in (token_client(sales), Client(enforce_csrf_checks=True)):
        r = getattr(client, method)(path, {}, content_type="application/json")
        assert error(r, 405) == {
            "code": "method_not_allowed",
            "message": f"{method.upper()} is not allowed on {path}; allowed: GET, HEAD.",
            "fields": {},
        }
        assert r["Allow"] == "GET, HEAD"


# --- 413: a body too large to read --------------------------------------------------------------
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_is_a_json_413_and_writes_nothing(manager):
    body = {"customer_name": "Big Ltd", "customer_details": "x" * 1000}
    r = token_client(manager).post("/api/v1/customers", body, content_type="application/json")
    assert error(r, 413) == {
        "code": "payload_too_large",
        "message": "The request body is too large: at most 1000 bytes.",
        "fields": {},
    }
    assert not Customer.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_session_form_post_too_large_is_413_too(manager):
    """The CSRF check reads a form body: a too large one is 413 there as well, not a 400 page."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    client.cookies["csrftoken"] = get_random_string(32)  # with no cookie it fails before reading
    r = client.post("/api/v1/customers", {"customer_name": "x" * 2000})
    assert error(r, 413)["code"] == "payload_too_large"
    assert not Customer.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_without_credentials_is_401(db):
    body = {"customer_name": "x" * 2000}
    r = Client(enforce_csrf_checks=True).post(
        "/api/v1/customers", body, content_type="application/json"
    )
    assert error(r, 401)["code"] == "not_authenticated"
    assert not Customer.objects.exists()


# --- 500: still JSON -----------------------------------------------------------------------------
def test_a_server_error_is_a_json_500(sales, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(masters_access, "masters_visible_to", broken)
    client = token_client(sales)
    client.raise_request_exception = False
    r = client.get("/api/v1/currencies")
    assert error(r, 500) == {
        "code": "server_error",
        "message": "Server error: the request could not be completed.",
        "fields": {},
    }


# --- 503: the database does not answer (restarting, failing over, a dropped connection) ---------
@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_database_that_does_not_answer_is_a_json_503_then_recovers(sales, monkeypatch, failure):
    def unreachable(*args, **kwargs):
        raise failure

    monkeypatch.setattr(masters_access, "masters_visible_to", unreachable)
    client = token_client(sales)
    client.raise_request_exception = False
    r = client.get("/api/v1/currencies")
    assert error(r, 503) == {
        "code": "service_unavailable",
        "message": "The service is unavailable for a moment; nothing was saved: try again.",
        "fields": {},
    }
    assert r["Retry-After"] == "5"

    monkeypatch.undo()  # the database is back: the next request is served
    assert client.get("/api/v1/currencies").status_code == 200


@pytest.mark.django_db(transaction=True)  # the request's own transaction, as in production
def test_a_write_whose_answer_cannot_be_read_is_a_503_that_wrote_nothing(manager, monkeypatch):
    """The database goes away after the service wrote the lead, while the answer is read: the
    write is rolled back with the request, so the client may retry it without making it twice."""

    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(DocumentApi, "out_for", gone)
    client = token_client(manager)
    client.raise_request_exception = False
    r = client.post("/api/v1/leads", {"lead_name": "Twice?"}, content_type="application/json")
    assert error(r, 503)["code"] == "service_unavailable"
    assert not Lead.objects.exists()

    monkeypatch.undo()
    r = client.post("/api/v1/leads", {"lead_name": "Once"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert list(Lead.objects.values_list("lead_name", flat=True)) == ["Once"]


def test_a_page_whose_database_does_not_answer_is_a_503_page(sales, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(crm_access, "opportunities_visible_to", unreachable)
    client = Client(raise_request_exception=False)
    client.force_login(sales)
    r = client.get("/")
    assert r.status_code == 503
    assert r["Content-Type"].startswith("text/html")
    assert r["Retry-After"] == "5"
    assert b"Service unavailable" in r.content

    monkeypatch.undo()
    assert client.get("/").status_code == 200


def test_any_other_server_error_is_still_a_500_page(sales, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(crm_access, "opportunities_visible_to", broken)
    client = Client(raise_request_exception=False)
    client.force_login(sales)
    r = client.get("/")
    assert r.status_code == 500
    assert "Retry-After" not in r


# --- what stays as it is -------------------------------------------------------------------------
def test_pages_outside_the_api_keep_their_html_404(db):
    r = Client().get("/no-such-page")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")


def test_the_api_docs_and_schema_still_answer(db):
    assert Client().get("/api/v1/docs")["Content-Type"].startswith("text/html")
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/json"
