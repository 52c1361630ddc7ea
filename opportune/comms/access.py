"""Who may do what with email accounts and raw inbound mail: managers (and administrators)
only. Who sees an email is who sees its document (crm's record rules, in crm's API)."""

from __future__ import annotations

from typing import Any

from opportune.accounts.roles import is_manager
from opportune.comms.models import EmailAccount
from opportune.core.errors import NotFoundError


def can_manage_email(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or is_manager(user)


def get_account_for(user: Any, name: str) -> EmailAccount:
    account = EmailAccount.objects.filter(name=name).first() if can_manage_email(user) else None
    if account is None:
        raise NotFoundError(f"Email Account {name[:100]} not found.")
    return account
