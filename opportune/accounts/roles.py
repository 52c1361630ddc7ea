"""The roles of a sales team, as Django groups (made by migrations). Superusers and System
Managers hold every role; "managers" (Sales Manager, System Manager) see every record and write
masters and settings (docs/decisions/0008-record-rules.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q

from opportune.core.statements import fetch

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

SALES_USER = "Sales User"
SALES_MANAGER = "Sales Manager"
PURCHASE_USER = "Purchase User"
SYSTEM_MANAGER = "System Manager"
ALL_ROLES = (SALES_USER, SALES_MANAGER, PURCHASE_USER, SYSTEM_MANAGER)
MANAGERS = (SALES_MANAGER, SYSTEM_MANAGER)
_CACHE = "_opportune_roles"  # the attribute that keeps a user's roles for the request


def roles_of(user: AnyUser | None) -> frozenset[str]:
    """The user's roles, read once per request and kept on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, _CACHE, None)
    if cached is None:
        names = () if user.is_superuser else _group_names(user.pk)
        cached = remember_roles(user, names)
    return cached


def _group_names(user_id: int) -> list[str]:
    """The names of the user's groups: a kept statement (core/statements.py), every page asks."""
    return fetch(
        "accounts.groups",
        lambda v: Group.objects.filter(user=v.user).values_list("name", flat=True),
        user=user_id,
    )


def remember_roles(user: AnyUser, groups: Iterable[str]) -> frozenset[str]:
    """Keeps on ``user`` the roles its ``groups`` (their names) give, for the request (a bearer
    token reads them with the token: accounts.services.user_for_token); answers them."""
    roles = frozenset(groups)
    if user.is_superuser or SYSTEM_MANAGER in roles:  # sees and does everything
        roles = frozenset(ALL_ROLES)
    setattr(user, _CACHE, roles)
    return roles


def has_role(user: AnyUser | None, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_sales(user: AnyUser | None) -> bool:
    return has_role(user, SALES_USER, SALES_MANAGER)


def is_manager(user: AnyUser | None) -> bool:
    """A Sales Manager or System Manager (superusers hold both): sees every record."""
    return has_role(user, *MANAGERS)


def sales_users() -> Any:
    """Active users who can own and be given opportunities and leads (a sales role or a
    superuser), by username: the owner pickers, list filters and assignment choices."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=[SALES_USER, *MANAGERS]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )
