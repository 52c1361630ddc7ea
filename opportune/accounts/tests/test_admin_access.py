"""The Django admin is for staff only: a signed-in user who is not staff gets the admin's
login page (never a page of data), whatever the admin URL; its login is throttled like the
site's (test_login_throttle.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from opportune.accounts.models import ApiToken
from opportune.testing import client_for

pytestmark = pytest.mark.django_db

ADMIN_URLS = [
    "/admin/",
    "/admin/auth/user/",
    "/admin/accounts/apitoken/",
    "/admin/crm/opportunity/",
    "/admin/axes/accessattempt/",
]


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_a_signed_in_user_who_is_not_staff_gets_no_admin(manager, url):
    assert manager.is_superuser is False and manager.is_staff is False
    response = client_for(manager).get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


def test_the_admin_login_page_refuses_a_user_who_is_not_staff(manager):
    client = client_for(manager)
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    assert "You are authenticated as manager, but are not authorized" in page.content.decode()


def test_a_non_staff_user_cannot_write_through_the_admin(sales):
    token, _raw = ApiToken.issue(sales, "mine")
    response = client_for(sales).post(
        f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_anonymous_gets_the_admin_login(db):
    response = Client().get("/admin/")
    assert response.status_code == 302 and response["Location"] == "/admin/login/?next=/admin/"


def test_staff_get_the_admin(admin_client):
    assert admin_client.get("/admin/").status_code == 200
    assert admin_client.get("/admin/accounts/apitoken/").status_code == 200
