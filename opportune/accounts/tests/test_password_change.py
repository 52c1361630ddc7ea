"""Changing one's password: this session stays, every other session of the user ends, and the
user's API tokens keep working (as ERPNext keeps API keys)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from opportune.accounts.models import ApiToken
from opportune.testing import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "a-new-long-passphrase-42"


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_profile_links_to_the_password_change(sales):
    client = signed_in("sales")
    page = client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("password_change")}">Change password</a>' in page


def test_password_change_ends_the_other_sessions_only(sales):
    here, elsewhere = signed_in("sales"), signed_in("sales")
    _token, raw = ApiToken.issue(sales, "script")
    form = here.get(reverse("password_change"))
    assert form.status_code == 200
    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    sales.refresh_from_db()
    assert sales.check_password(NEW)
    # this session stays, with the message
    profile = here.get(reverse("profile"))
    assert profile.status_code == 200
    assert (
        "Your password was changed. Your other sessions are signed out" in profile.content.decode()
    )
    # the other one is signed out at its next request
    other = elsewhere.get(reverse("home"))
    assert other.status_code == 302 and other["Location"].startswith(reverse("login"))
    assert elsewhere.get("/api/v1/opportunities").status_code == 401
    # the API token still works
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/opportunities").status_code == 200
    # the old password no longer signs in; the new one does
    assert (
        Client().post(reverse("login"), {"username": "sales", "password": PASSWORD}).status_code
        == 200
    )
    assert (
        Client().post(reverse("login"), {"username": "sales", "password": NEW}).status_code == 302
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}, "old_password"),
        (
            {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"},
            "new_password2",
        ),
        (
            {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
            "new_password2",
        ),
    ],
)
def test_a_refused_change_changes_nothing_and_ends_no_session(sales, data, field):
    here, elsewhere = signed_in("sales"), signed_in("sales")
    response = here.post(reverse("password_change"), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    sales.refresh_from_db()
    assert sales.check_password(PASSWORD)
    assert elsewhere.get(reverse("home")).status_code == 200


def test_password_change_needs_a_signed_in_user(db):
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('password_change')}"
