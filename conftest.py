"""Shared personas and factories for every test (STYLE.md 12)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.db.models.signals import post_migrate
from django.test import Client

from opportune.accounts.models import ApiToken
from opportune.accounts.roles import ALL_ROLES, PURCHASE_USER, SALES_MANAGER, SALES_USER
from opportune.crm import services as crm
from opportune.crm.defaults import load_crm_defaults
from opportune.masters.defaults import load_master_defaults
from opportune.masters.models import CurrencyExchange, Item


def _restore_migration_data(sender, **kwargs) -> None:
    """A transactional test (``transaction=True``, ``live_server``) empties every table when it
    ends, then Django sends post_migrate (to re-create content types): put back the rows the data
    migrations write (roles, currencies, UOMs, CRM defaults), so the next test starts as after
    ``migrate``."""
    for role in ALL_ROLES:
        Group.objects.get_or_create(name=role)
    load_master_defaults(django_apps)
    load_crm_defaults(django_apps)


post_migrate.connect(
    _restore_migration_data,
    sender=django_apps.get_app_config("crm"),
    dispatch_uid="opportune-tests-restore-migration-data",
)


def make_user(username: str, *roles: str, **extra) -> User:
    user = User.objects.create_user(
        username=username, password="pw", email=f"{username}@example.com", **extra
    )
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


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


class ApiClient:
    """A test client that talks JSON to /api/v1 with a user's bearer token."""

    def __init__(self, user: User | None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            _token, raw = ApiToken.issue(user, "test")
            self.headers["Authorization"] = f"Bearer {raw}"

    def _call(self, method: str, path: str, data=None, headers=None, **params):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        all_headers = {**self.headers, **(headers or {})}
        fn = getattr(self.client, method)
        if method in ("get", "delete"):
            return fn(url, params or None, headers=all_headers)
        return fn(
            url,
            data if data is not None else {},
            content_type="application/json",
            headers=all_headers,
        )

    def get(self, path, **params):
        return self._call("get", path, **params)

    def post(self, path, data=None, headers=None):
        return self._call("post", path, data, headers)

    def patch(self, path, data=None, headers=None):
        return self._call("patch", path, data, headers)

    def delete(self, path, headers=None):
        return self._call("delete", path, headers=headers)


@pytest.fixture
def api_as():
    """``api_as(user)`` -> a JSON client authenticated with that user's API token."""
    return ApiClient


# --- factories: plain functions that call the services ------------------------------------------
def make_item(code: str = "WIDGET", *, rate="100", uom="Nos", name=None) -> Item:
    return Item.objects.create(
        name=code, item_name=name or code.title(), standard_rate=Decimal(rate), stock_uom_id=uom
    )


def make_rate(from_currency: str, to_currency: str, rate: str, on: dt.date | None = None):
    return CurrencyExchange.objects.create(
        from_currency_id=from_currency,
        to_currency_id=to_currency,
        date=on or dt.date(2020, 1, 1),
        exchange_rate=Decimal(rate),
    )


def make_lead(by: User, **data):
    values = {
        "lead_name": "Ada Lovelace",
        "company_name": "Analytical Engines",
        "email_id": "ada@engines.example",
    }
    values.update(data)
    return crm.create_lead(data=values, by=by)


def make_customer(by: User, **data):
    values = {"customer_name": "Babbage Ltd"}
    values.update(data)
    return crm.create_customer(data=values, by=by)


def make_opportunity(by: User, party=None, **data):
    if party is None:
        party = make_customer(by)
    values = {"opportunity_from": party.doctype, "party_name": party.name}
    values.update(data)
    return crm.create_opportunity(data=values, by=by)
