"""Playwright against pytest-django's live server, driving Debian's Chromium.

No browser download is possible here, so the tests use /usr/bin/chromium: without it they are
skipped with the reason printed, except under CI (CI=true) where a missing browser fails.
Each test fails on any console error, and saves a screenshot to test-results/ when it fails.
"""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM must still be usable.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PASSWORD = "pw"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests."
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        print(f"\nSKIP browser tests: {reason}")  # noqa: T201 - the brief asks for a printed reason
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server, django_db_blocker):
    # The first request of a session imports and compiles a lot; do it before any timeout runs.
    # (Session-scoped, so no test has opened the database for the live server yet.)
    with (
        django_db_blocker.unblock(),
        urllib.request.urlopen(f"{live_server.url}/accounts/login/", timeout=60) as response,
    ):
        response.read()
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(page, request):
    """The plugin's page, watched: console errors fail the test; a failure leaves a screenshot."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.set_default_timeout(15_000)
    page.set_default_navigation_timeout(30_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-120:]
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    assert errors == [], f"console errors: {errors}"


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
