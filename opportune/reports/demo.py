"""The reports' part of the demo (core.demo): a sales target for every sales user for this
month and the next two, set by an administrator through the targets service."""

from __future__ import annotations

import random
from datetime import date

from django.contrib.auth import get_user_model

from opportune.accounts.roles import is_sales
from opportune.reports.services import set_sales_target


def _month(today: date, ahead: int) -> date:
    index = today.year * 12 + today.month - 1 + ahead
    return date(index // 12, index % 12 + 1, 1)


def make_sales_targets(*, today: date, rng: random.Random) -> None:
    users = get_user_model().objects.filter(is_active=True)
    admin = users.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        return
    sellers = [u for u in users.order_by("username") if not u.is_superuser and is_sales(u)]
    for user in sellers:
        base = rng.randint(40, 90) * 1000
        for ahead in range(3):
            set_sales_target(
                user=user.username,
                month=_month(today, ahead),
                amount=base + ahead * rng.randint(0, 10) * 1000,
                by=admin,
            )
