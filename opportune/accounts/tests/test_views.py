"""Log in, log out, and the profile page's API tokens."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from opportune.accounts.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def test_login_and_logout(sales):
    client = Client()
    page = client.get(reverse("login"))
    assert b'<label for="id_username">Username</label>' in page.content
    bad = client.post(reverse("login"), {"username": "sales", "password": "wrong"})
    assert b"did not match" in bad.content
    ok = client.post(reverse("login"), {"username": "sales", "password": "pw"})
    assert ok["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    out = client.post(reverse("logout"))
    assert out["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_token_secret_is_shown_once_and_works_until_revoked(sales, sales2):
    client = Client()
    client.force_login(sales)
    response = client.post(reverse("profile"), {"label": "mail gateway"})
    secret = response.context["new_secret"]
    token = ApiToken.objects.get(user=sales)
    assert token.key_hash == hash_token(secret) and token.label == "mail gateway"
    assert secret.encode() in response.content
    again = client.get(reverse("profile"))
    assert secret.encode() not in again.content and b"mail gateway" in again.content
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/opportunities").status_code == 200
    # Someone else cannot revoke it.
    other = Client()
    other.force_login(sales2)
    other.post(reverse("revoke_token", args=[token.pk]))
    assert ApiToken.objects.filter(pk=token.pk).exists()
    client.post(reverse("revoke_token", args=[token.pk]))
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api.get("/api/v1/opportunities").status_code == 401


def test_token_label_too_long_is_named(sales):
    client = Client()
    client.force_login(sales)
    response = client.post(reverse("profile"), {"label": "x" * 101})
    assert "label" in response.context["form"].errors
    assert ApiToken.objects.count() == 0
