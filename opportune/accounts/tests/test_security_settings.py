"""Security headers on every answer, and the production settings: ``check --deploy`` reports
nothing with OPPORTUNE_ENV=production, while development (``make run``, the tests) keeps plain
http working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from opportune.testing import client_for

MANAGE = Path(settings.BASE_DIR) / "manage.py"
POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
SECRET = "k3Yq8-production-secret-for-the-test-only-7f2c9e1b5a0d4468a9cbb2f0e1d3c5a7"


def policy_of(response) -> set[str]:
    return {part.strip() for part in response["Content-Security-Policy"].split(";")}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/api/v1/docs", "/api/v1/opportunities"])
def test_every_answer_has_the_security_headers(sales, url):
    client = Client() if url == "/accounts/login/" else client_for(sales)
    response = client.get(url)
    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_an_error_page_has_them_too(db):
    response = Client().get("/crm/no-such-page/")
    assert response.status_code == 404
    assert policy_of(response) == POLICY
    assert response["X-Frame-Options"] == "DENY"


def test_development_keeps_plain_http():
    assert settings.PRODUCTION is False
    assert settings.SECURE_SSL_REDIRECT is False
    assert settings.SESSION_COOKIE_SECURE is False and settings.CSRF_COOKIE_SECURE is False
    assert settings.SECURE_HSTS_SECONDS == 0


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DEBUG", "SECRET_KEY", "SECURE_", "OPPORTUNE_", "ALLOWED_HOSTS"))
        and key != "DJANGO_ALLOW_ASYNC_UNSAFE"  # set for the browser tests (conftest.py)
    }
    environment.update({"OPPORTUNE_VAR_DIR": str(tmp_path), "OPPORTUNE_TESTING": "false", **env})
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


PRODUCTION = {
    "OPPORTUNE_ENV": "production",
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "crm.example.com",
    "SITE_URL": "https://crm.example.com",
}


def test_check_deploy_reports_nothing_in_production(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_would_see_a_missing_setting(tmp_path):
    """The test above is not empty: turning one production setting off is reported."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        **PRODUCTION,
        SECURE_COOKIES="false",
    )
    assert result.returncode == 1
    assert "security.W012" in result.stderr + result.stdout  # SESSION_COOKIE_SECURE


@pytest.mark.parametrize(
    "bad",
    [{"SECRET_KEY": ""}, {"SECRET_KEY": "short"}, {"DEBUG": "true"}],
    ids=["no key", "short key", "debug"],
)
def test_production_refuses_to_start_without_a_real_key_or_with_debug(tmp_path, bad):
    env = {**PRODUCTION, **bad}
    if not env["SECRET_KEY"]:
        del env["SECRET_KEY"]
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode == 1
    assert (
        "OPPORTUNE_ENV=production needs DEBUG off and SECRET_KEY set to a long random value."
        in result.stderr
    )
