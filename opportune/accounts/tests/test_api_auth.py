"""How an API request authenticates (API.md): no credentials answer 401, for every method; a
browser session must send its CSRF token on unsafe methods (403 without it); a bearer token
needs none. Every refusal is in the error format and changes nothing.

These tests use ``Client(enforce_csrf_checks=True)``, as a real browser or script meets the
API (the plain test client skips CSRF checks, which hid the 403-instead-of-401 answer)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from opportune.accounts.models import ApiToken
from opportune.accounts.roles import PURCHASE_USER, SALES_MANAGER, SALES_USER, SYSTEM_MANAGER
from opportune.crm.models import Customer, SalesStage
from opportune.testing import ApiClient, make_customer, make_user

pytestmark = pytest.mark.django_db

NOT_AUTHENTICATED = {
    "error": {
        "code": "not_authenticated",
        "message": "Authentication required: send a Bearer token or log in.",
        "fields": {},
    }
}
CSRF_FAILED = {
    "error": {
        "code": "permission_denied",
        "message": (
            "CSRF check failed: a request made with the browser session must send the "
            "X-CSRFToken header (the csrftoken cookie's value). Scripts use a Bearer token."
        ),
        "fields": {},
    }
}


def snapshot():
    return (
        list(Customer.objects.order_by("pk").values()),
        list(SalesStage.objects.order_by("pk").values()),
    )


def call(client: Client, method: str, path: str, body=None, headers=None):
    url = f"/api/v1/{path}"
    if method in ("get", "delete"):
        return getattr(client, method)(url, headers=headers)
    return getattr(client, method)(
        url, body or {}, content_type="application/json", headers=headers
    )


def requests(customer: str):
    return [
        ("get", "customers", None),
        ("post", "customers", {"customer_name": "Intruder Ltd"}),
        ("get", f"customers/{customer}", None),
        ("patch", f"customers/{customer}", {"customer_name": "Renamed", "version": 1}),
        ("delete", f"customers/{customer}", None),
        ("post", "sales-stages", {"name": "Won"}),
        ("patch", "sales-stages/Prospecting", {"probability": 50}),
        ("delete", "sales-stages/Prospecting", None),
    ]


# --- no credentials: 401 ------------------------------------------------------------------------
@pytest.mark.parametrize("index", range(8))
def test_no_credentials_is_401_for_every_method(sales, index):
    method, path, body = requests(make_customer(sales).name)[index]
    before = snapshot()
    r = call(Client(enforce_csrf_checks=True), method, path, body)
    assert r.status_code == 401, r.content
    assert r["Content-Type"] == "application/json; charset=utf-8"
    assert r.json() == NOT_AUTHENTICATED
    assert snapshot() == before


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_an_anonymous_browser_with_a_csrf_cookie_but_no_login_is_401(sales, method):
    customer = make_customer(sales)
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = get_random_string(32)
    before = snapshot()
    path = "customers" if method == "post" else f"customers/{customer.name}"
    r = call(client, method, path, {"customer_name": "Intruder Ltd", "version": 1})
    assert r.status_code == 401, r.content
    assert r.json() == NOT_AUTHENTICATED
    assert snapshot() == before


def test_a_wrong_bearer_token_on_a_write_is_401(sales):
    before = snapshot()
    client = Client(enforce_csrf_checks=True)
    r = call(
        client,
        "post",
        "customers",
        {"customer_name": "X"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert r.status_code == 401
    assert r.json() == NOT_AUTHENTICATED
    assert snapshot() == before


def test_an_inactive_session_user_writing_without_csrf_is_401(sales):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)
    sales.is_active = False
    sales.save()
    before = snapshot()
    r = call(client, "post", "customers", {"customer_name": "X"})
    assert r.status_code == 401
    assert r.json() == NOT_AUTHENTICATED
    assert snapshot() == before


# --- a session without its CSRF token: 403 ------------------------------------------------------
@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_a_session_write_without_the_csrf_token_is_403(manager, method):
    customer = make_customer(manager)
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    before = snapshot()
    path = "customers" if method == "post" else f"customers/{customer.name}"
    r = call(client, method, path, {"customer_name": "Renamed", "version": 1})
    assert r.status_code == 403, r.content
    assert r.json() == CSRF_FAILED
    # a cookie without the header, or a header that does not match the cookie, is no better
    client.cookies["csrftoken"] = get_random_string(32)
    r = call(client, method, path, {"customer_name": "Renamed", "version": 1})
    assert r.status_code == 403
    assert r.json() == CSRF_FAILED
    r = call(
        client,
        method,
        path,
        {"customer_name": "Renamed", "version": 1},
        headers={"X-CSRFToken": get_random_string(32)},
    )
    assert r.status_code == 403
    assert r.json() == CSRF_FAILED
    assert snapshot() == before


def test_a_session_reads_without_csrf_and_writes_with_it(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    r = call(client, "get", "customers")
    assert r.status_code == 200
    assert r.json() == {"results": [], "next_cursor": None, "count": None}
    token = get_random_string(32)
    client.cookies["csrftoken"] = token
    r = call(
        client,
        "post",
        "customers",
        {"customer_name": "Babbage Ltd"},
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 201, r.content
    assert r.json()["customer_name"] == "Babbage Ltd"
    assert r.json()["owner"] == "manager"
    assert list(Customer.objects.values_list("customer_name", flat=True)) == ["Babbage Ltd"]


# --- a bearer token: no CSRF ----------------------------------------------------------------------
def test_a_bearer_token_writes_without_csrf(manager):
    _token, raw = ApiToken.issue(manager, "script")
    client = Client(enforce_csrf_checks=True)
    r = call(
        client, "post", "sales-stages", {"name": "Won"}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["name"] == "Won"
    assert SalesStage.objects.filter(pk="Won").exists()


def test_a_bearer_token_beside_a_session_needs_no_csrf(manager, sales):
    """The token is who the request is (tried first); the session cookie plays no part."""
    _token, raw = ApiToken.issue(manager, "script")
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)
    r = call(
        client,
        "post",
        "customers",
        {"customer_name": "Token Ltd"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["owner"] == "manager"


def test_a_token_carries_every_role_of_its_user(db):
    """The token and the user's roles are read in one query (a row per group): a user with
    two roles has both, one with none has none, a System Manager has every role (the email
    accounts are for managers)."""
    users = [
        make_user("both", PURCHASE_USER, SALES_MANAGER),
        make_user("seller", SALES_USER),
        make_user("nobody"),
        make_user("admin", SYSTEM_MANAGER),
    ]
    answers = {
        user.username: ApiClient(user).get("/api/v1/email-accounts").status_code for user in users
    }
    assert answers == {"both": 200, "seller": 403, "nobody": 403, "admin": 200}
