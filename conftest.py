"""The fixtures and hooks every test shares: the personas (STYLE.md 12), the API client, and
the browser of the browser tests (in opportune/tests_browser and beside each app's tests).

Helpers and factories live in ``opportune.testing``: import them from there, never from here."""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db.models.signals import post_migrate
from django.test import Client

from opportune.accounts.roles import ALL_ROLES, PURCHASE_USER, SALES_MANAGER, SALES_USER
from opportune.crm.defaults import load_crm_defaults
from opportune.crm.stage_totals import rebuild_stage_totals
from opportune.masters.defaults import load_master_defaults
from opportune.notifications.outbox import forget_email_drains
from opportune.testing import PASSWORD, RESULTS, ApiClient, drop_sequences, make_user
from opportune.webhooks.services import forget_subscriptions


def _restore_migration_data(sender, **kwargs) -> None:
    """A transactional test (``transaction=True``, ``live_server``) empties every table when it
    ends, then Django sends post_migrate (to re-create content types): put back the rows the data
    migrations write (roles, currencies, UOMs, CRM defaults), so the next test starts as after
    ``migrate``."""
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    load_master_defaults(django_apps)
    load_crm_defaults(django_apps)
    # the emptied naming series start again from 1: their sequences (PostgreSQL) with them
    drop_sequences()
    # the board's summary follows the emptied opportunities (SQLite's flush deletes them row by
    # row, which its triggers count, perhaps after it emptied the summary)
    rebuild_stage_totals()


post_migrate.connect(
    _restore_migration_data,
    sender=django_apps.get_app_config("crm"),
    dispatch_uid="opportune-tests-restore-migration-data",
)


@pytest.fixture(autouse=True)
def _no_webhooks_known():
    """Each test starts taking it that no webhook listens (the test database has none): the
    per-process list of webhooks (webhooks.services) may not outlive a test rolled back."""
    forget_subscriptions(now_empty=True)


@pytest.fixture(autouse=True)
def _no_email_drain_known():
    """Each test starts with no bucket's email drain known committed by this process (outbox):
    a test's transaction rolled back takes the drain's job with it."""
    forget_email_drains()


@pytest.fixture
def manager(db) -> User:
    return make_user("manager", SALES_MANAGER, SALES_USER, first_name="Maria", last_name="Manager")


@pytest.fixture
def sales(db) -> User:
    return make_user("sales", SALES_USER, first_name="Sam", last_name="Seller")


@pytest.fixture
def sales2(db) -> User:
    return make_user("sales2", SALES_USER, first_name="Sally", last_name="Second")


@pytest.fixture
def purchaser(db) -> User:
    return make_user("purchaser", PURCHASE_USER, first_name="Paul", last_name="Purchaser")


@pytest.fixture
def outsider(db) -> User:
    return make_user("outsider")


@pytest.fixture
def admin_client(db) -> Client:
    """Django's test client, logged in as a superuser, "root" (replaces pytest-django's)."""
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.login(username="root", password=PASSWORD)
    return client


@pytest.fixture
def api_as():
    """``api_as(user)`` -> a JSON client authenticated with that user's API token."""
    return ApiClient


# --- the browser tests: Playwright against pytest-django's live server, driving Debian's Chromium.
# No browser download is possible here, so the tests use /usr/bin/chromium: without it they are
# skipped with the reason printed, except under CI (CI=true) where a missing browser fails.
# Each test fails on any console error, and saves a screenshot to test-results/ when it fails.

# Playwright's sync API runs an event loop in this thread; Django's ORM must still be usable.
# (Set on import: session fixtures such as the test database's set-up may run after Playwright
# started.)
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")


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
    # expect()'s checks wait as long as the actions (its default, 5 s, is short for a POST, its
    # redirect and a board's render on a busy machine)
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-120:]
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    assert errors == [], f"console errors: {errors}"


# --- the fault tests (opportune/tests_faults): they start worker, web and database servers and
# kill them, so they run only when the -m expression names one of their markers (`make test
# PYTEST_ARGS="-m faults"`; the Redis one with "-m redis" too), never in a plain run nor in a
# run such as -m "not browser".
def pytest_collection_modifyitems(config, items):
    named = set(re.findall(r"\w+", config.getoption("markexpr") or "")) - {"and", "or", "not"}

    def left_out(item) -> bool:
        markers = {marker.name for marker in item.iter_markers()}
        return "faults" in markers and not markers & named

    faults = [item for item in items if left_out(item)]
    if faults:
        config.hook.pytest_deselected(items=faults)
        items[:] = [item for item in items if not left_out(item)]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, request, tmp_path_factory
):
    """The fault tests' worker processes use the test database too: on SQLite it must then be a
    file (Django's test database is in memory otherwise, which no other process sees)."""
    database = settings.DATABASES["default"]
    selected = any(item.get_closest_marker("faults") for item in request.session.items)
    if selected and database["ENGINE"].endswith("sqlite3") and not database["TEST"].get("NAME"):
        path = tmp_path_factory.mktemp("faults-db") / "test.sqlite3"
        database["TEST"]["NAME"] = str(path)
