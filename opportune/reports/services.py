"""Setting the sales targets (managers): one amount per sales user and month."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from opportune.accounts.roles import is_sales
from opportune.core.errors import (
    ConflictError,
    FieldErrors,
    NotFoundError,
    PermissionDeniedError,
)
from opportune.reports.access import can_set_targets
from opportune.reports.models import SalesTarget

if TYPE_CHECKING:
    from opportune.core.users import User

MAX_AMOUNT = Decimal("9999999999999999")


def _check_manager(by: User) -> None:
    if not can_set_targets(by):
        raise PermissionDeniedError("Only a sales manager sets the targets.")


def set_sales_target(
    *,
    user: str,
    month: date,
    amount: Decimal | str | int,
    version: int | None = None,
    by: User,
    now: datetime | None = None,
) -> SalesTarget:
    """The target of ``user`` (a username) for the month of ``month``: made, or changed when
    there is one (``version``, when given, must be the stored one: else 409)."""
    _check_manager(by)
    errors = FieldErrors()
    owner = get_user_model().objects.filter(username=user, is_active=True).first()
    if owner is None or not is_sales(owner):
        errors.add("user", f"{user!r} is not an active sales user.")
    try:
        value = Decimal(str(amount))
        if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.add("amount", "Enter an amount of 0 or more.")
        value = Decimal(0)
    errors.raise_if_any()
    assert owner is not None
    first = month.replace(day=1)
    with transaction.atomic():
        target = SalesTarget.objects.select_for_update().filter(user=owner, month=first).first()
        if target is None:
            return SalesTarget.objects.create(
                user=owner,
                month=first,
                amount=value,
                modified=now or timezone.now(),
                modified_by=by,
            )
        if version is not None and version != target.version:
            raise ConflictError(
                f"The target of {user} for {first:%Y-%m} was changed by someone else "
                f"(your version {version}, current version {target.version}).",
                fields={"version": [f"is {target.version}"]},
            )
        target.amount = value
        target.version += 1
        target.modified = now or timezone.now()
        target.modified_by = by
        target.save()
        return target


def delete_sales_target(target_id: int, *, by: User) -> None:
    _check_manager(by)
    deleted, _ = SalesTarget.objects.filter(pk=target_id).delete()
    if not deleted:
        raise NotFoundError(f"Sales target {target_id} not found.")
