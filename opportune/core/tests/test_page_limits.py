"""A page's form with a body too large to read: a clear 413 page, and nothing written (the API
answers its own 413 in JSON: test_api_errors.py)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.utils.crypto import get_random_string

from opportune.crm.models import Lead

pytestmark = pytest.mark.django_db


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
@pytest.mark.parametrize("csrf", [True, False], ids=["csrf checked", "csrf not checked"])
def test_a_page_post_too_large_is_a_413_page(sales, csrf):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(sales)
    token = get_random_string(32)
    client.cookies["csrftoken"] = token  # the CSRF check reads the body: it is what refuses it
    body = {"csrfmiddlewaretoken": token, "lead_name": "x" * 2000}
    r = client.post("/crm/leads/new/", body)
    assert r.status_code == 413
    assert r["Content-Type"] == "text/html; charset=utf-8"
    text = r.content.decode()
    assert "<h1>Too large</h1>" in text
    assert "The form sent more than 1000 bytes: shorten the text and send it again." in text
    assert not Lead.objects.exists()


def test_a_bad_request_stays_a_400(sales):
    client = Client()
    client.force_login(sales)
    r = client.get("/crm/leads/", HTTP_HOST="bad host name")
    assert r.status_code == 400
    assert not Lead.objects.exists()
