"""The fixtures and hooks every test shares: the personas (STYLE.md 12) and the API client.

Helpers and factories live in ``opportune.testing``: import them from there, never from here."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.db.models.signals import post_migrate

from opportune.accounts.roles import ALL_ROLES, PURCHASE_USER, SALES_MANAGER, SALES_USER
from opportune.crm.defaults import load_crm_defaults
from opportune.masters.defaults import load_master_defaults
from opportune.testing import ApiClient, make_user


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
def api_as():
    """``api_as(user)`` -> a JSON client authenticated with that user's API token."""
    return ApiClient
