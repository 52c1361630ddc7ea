"""CSRF on every page write and on the session's API writes.

Two walks: every POST form of every template carries ``{% csrf_token %}`` (and the scripts send
the token with their own writes); and every page URL of the URL configuration, posted to by a
signed-in browser without the token, answers 403 and changes nothing. (The API's answers with
a session and no token are in test_api_auth.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.crypto import get_random_string

from opportune.accounts.models import ApiToken
from opportune.testing import PASSWORD

ROOT = Path(settings.BASE_DIR) / "opportune"
TEMPLATES = sorted(ROOT.glob("**/templates/**/*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
PAGE_URLCONFS = (
    "opportune.core.urls",
    "opportune.accounts.urls",
    "opportune.crm.urls",
    "opportune.selling.urls",
    "opportune.buying.urls",
)
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
TOKEN_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{{ csrf_token }}">'
POST = re.compile(r"""method\s*=\s*["']?post""", re.I)


def test_the_walk_finds_the_templates_and_their_forms():
    assert len(TEMPLATES) > 50
    forms = [f for t in TEMPLATES for f in FORM.findall(t.read_text()) if POST.search(f)]
    assert len(forms) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_post_form_carries_the_csrf_token(template):
    text = template.read_text()
    for form in FORM.findall(text):
        head = form[: form.index(">") + 1]
        if POST.search(head):
            assert "{% csrf_token %}" in form or TOKEN_INPUT in form, (
                f"{template.name}: a POST form without the token"
            )
    # htmx writes send the token from the page's <body hx-headers> (base.html)
    if re.search(r"\bhx-(post|put|patch|delete)\b", text):
        assert '{% extends "base.html" %}' in text or template.name.startswith("_")


def test_htmx_and_the_scripts_send_the_token():
    base = (ROOT / "templates" / "base.html").read_text()
    assert """<body hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'>""" in base
    for script in SCRIPTS:
        text = script.read_text()
        for call in re.findall(r"fetch\([^;]*?\{.*?\}\s*\)", text, re.S):
            if re.search(r"""method:\s*["'](POST|PUT|PATCH|DELETE)""", call, re.I):
                assert '"X-CSRFToken": Opportune.csrf()' in call, f"{script.name}: {call}"


def page_urls() -> list[tuple[str, str]]:
    """(URL name, a URL of it) for every page of the apps' URL confs and the root's own."""
    found: list[tuple[str, str]] = []

    def add(pattern: URLPattern, namespace: str) -> None:
        if not pattern.name:
            return
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        kwargs = {
            key: 1 if type(conv).__name__ == "IntConverter" else "X-1"
            for key, conv in pattern.pattern.converters.items()
        }
        found.append((name, reverse(name, kwargs=kwargs)))

    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLPattern):
            add(entry, "")
        elif (
            isinstance(entry, URLResolver)
            and getattr(entry.urlconf_module, "__name__", "") in PAGE_URLCONFS
        ):
            for p in entry.url_patterns:
                if isinstance(p, URLPattern):
                    add(p, entry.namespace or "")
    return found


PAGES = page_urls()


def test_the_walk_finds_the_pages():
    names = {name for name, _url in PAGES}
    assert {"login", "logout", "profile", "password_change", "revoke_token"} <= names
    assert {"crm:opportunity_create", "crm:opportunity_board_move"} <= names
    assert len(PAGES) > 40


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), PAGES, ids=[name for name, _url in PAGES])
def test_a_post_without_the_token_is_403(manager, name, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(url, {"label": "sneaky", "name": "X-1"})
    assert response.status_code == 403, f"{name} {url}: {response.status_code}"
    client.cookies["csrftoken"] = get_random_string(32)  # a cookie without the form field
    assert client.post(url, {"label": "sneaky"}).status_code == 403
    # still signed in, and nothing written
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == session
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_login_forms_need_the_token_too(sales, url):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {"username": "sales", "password": PASSWORD}).status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_form_posted_with_its_token_works(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    page = client.get(reverse("profile")).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    token = found.group(1)
    response = client.post(reverse("profile"), {"label": "ok", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert list(ApiToken.objects.values_list("label", flat=True)) == ["ok"]
    assert User.objects.get(username="manager").api_tokens.count() == 1
