"""Login throttling (django-axes): per account and per address, on the login page and the
admin's login, with the reason on the page; a success clears the count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opportune.testing import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
MESSAGE = "Too many failed sign-ins for this account or address; try again in 15 minutes."


def attempt(username: str, password: str = "wrong", address: str = "192.0.2.1", path=LOGIN):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def test_five_failures_lock_the_account_even_with_the_right_password(sales):
    for _ in range(4):
        response = attempt("sales")
        assert response.status_code == 200 and b"did not match" in response.content
    fifth = attempt("sales")
    assert fifth.status_code == 429
    assert MESSAGE in fifth.content.decode()
    assert b'value="sales"' in fifth.content  # the username is kept in the form
    right = attempt("sales", PASSWORD)
    assert right.status_code == 429 and MESSAGE in right.content.decode()
    assert "_auth_user_id" not in right.wsgi_request.session


def test_the_account_is_locked_from_every_address(sales):
    for n in range(5):
        attempt("sales", address=f"192.0.2.{n + 1}")
    elsewhere = attempt("sales", PASSWORD, address="198.51.100.7")
    assert elsewhere.status_code == 429 and MESSAGE in elsewhere.content.decode()


def test_an_address_is_locked_for_every_account(sales, sales2):
    for n in range(5):
        attempt(f"guess{n}", address="203.0.113.9")
    other_account = attempt("sales2", PASSWORD, address="203.0.113.9")
    assert other_account.status_code == 429 and MESSAGE in other_account.content.decode()
    # another address signs in to that account at once
    ok = attempt("sales2", PASSWORD, address="198.51.100.7")
    assert ok.status_code == 302 and ok["Location"] == reverse("home")


def test_a_success_clears_the_count(sales):
    for _ in range(4):
        attempt("sales")
    assert attempt("sales", PASSWORD).status_code == 302
    assert AccessAttempt.objects.filter(username="sales").count() == 0
    for _ in range(4):
        assert attempt("sales").status_code == 200  # four more failures: still not locked
    assert attempt("sales", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(sales):
    for _ in range(5):
        attempt("sales")
    assert attempt("sales", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt("sales", PASSWORD).status_code == 302


def test_the_limit_and_wait_come_from_the_settings(sales, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    assert attempt("sales").status_code == 200
    second = attempt("sales")
    assert second.status_code == 429
    assert "try again in 1 minute." in second.content.decode()


def test_the_admin_login_is_throttled_too(admin_client):
    for _ in range(4):
        assert attempt("root", path="/admin/login/").status_code == 200
    assert attempt("root", path="/admin/login/").status_code == 429
    locked = attempt("root", PASSWORD, path="/admin/login/")
    assert locked.status_code == 429 and MESSAGE in locked.content.decode()
    # and the same count holds on the site's login page
    assert attempt("root", PASSWORD).status_code == 429


def test_test_clients_log_in_as_before(sales):
    for _ in range(10):
        client = Client()
        assert client.login(username="sales", password=PASSWORD)
        assert not client.login(username="sales", password="wrong")
        client.force_login(sales)
        assert client.get(reverse("home")).status_code == 200


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(sales, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):  # a client varying the header it sends itself still counts as one address
        Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9").post(
            LOGIN, {"username": f"guess{n}", "password": "wrong"}
        )
    locked = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9").post(
        LOGIN, {"username": "sales", "password": PASSWORD}
    )
    assert locked.status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7").post(
        LOGIN, {"username": "sales", "password": PASSWORD}
    )
    assert other.status_code == 302
