"""The roles of a sales team, as Django groups. Superusers hold every role."""

from __future__ import annotations

SALES_USER = "Sales User"
SALES_MANAGER = "Sales Manager"
PURCHASE_USER = "Purchase User"
ALL_ROLES = (SALES_USER, SALES_MANAGER, PURCHASE_USER)


def roles_of(user) -> frozenset[str]:
    """The user's roles, read once per request and kept on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_opportune_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(ALL_ROLES)
        else:
            cached = frozenset(user.groups.values_list("name", flat=True))
        user._opportune_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_sales(user) -> bool:
    return has_role(user, SALES_USER, SALES_MANAGER)


def is_manager(user) -> bool:
    return has_role(user, SALES_MANAGER)
