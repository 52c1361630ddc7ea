"""Who may see and change masters. Every page, API answer and admin action goes through here.

Every staff role (Sales User, Sales Manager, Purchase User; superusers hold them all) reads
every master. Sales Managers write masters; items are also written by Purchase Users, who keep
the catalogue of what is bought. A user without a role sees no master: lists are empty and a
master asked for by name answers 404, as for CRM documents (crm/access.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, QuerySet

from opportune.accounts.roles import ALL_ROLES, PURCHASE_USER, SALES_MANAGER, has_role, is_manager
from opportune.core.access import get_visible
from opportune.core.errors import PermissionDeniedError

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

M = TypeVar("M", bound=Model)


def can_read_masters(user: AnyUser) -> bool:
    return has_role(user, *ALL_ROLES)


def can_manage_masters(user: AnyUser) -> bool:
    return is_manager(user)


def can_manage_items(user: AnyUser) -> bool:
    return has_role(user, SALES_MANAGER, PURCHASE_USER)


def masters_visible_to(user: AnyUser, model: type[M]) -> QuerySet[M]:
    rows = model._default_manager
    return rows.all() if can_read_masters(user) else rows.none()


def get_master_for(
    user: AnyUser,
    model: type[M],
    key: Any,
    *,
    label: str,
    write: bool = False,
    can_write: Callable[[AnyUser], bool] = can_manage_masters,
) -> M:
    """The master ``key`` (its name, or id) if the user may see it, and change it if ``write``."""
    return get_visible(
        masters_visible_to(user, model), label, key, user=user, write=write, can_write=can_write
    )


def require_master_writer(
    user: AnyUser, *, label: str, can_write: Callable[[AnyUser], bool] = can_manage_masters
) -> None:
    """Refuse to create a master for a user who may not write it (403)."""
    if not can_write(user):
        raise PermissionDeniedError(f"You may not create a {label}.")
