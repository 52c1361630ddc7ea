"""The reports' part of the demo (core.demo): a sales target for every sales user for this
month and the next two, set by an administrator through the targets service; deals of the past
(enough closed ones for the win model) and the model trained on them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from opportune.accounts.roles import is_sales
from opportune.crm.models import Customer, Opportunity, OpportunityLostReason, SalesStage
from opportune.crm.services import (
    create_opportunity,
    declare_opportunity_lost,
    set_opportunity_status,
)
from opportune.masters.models import Item
from opportune.reports.services import set_sales_target
from opportune.reports.win_model.features import CLOSED
from opportune.reports.win_model.services import MIN_CLOSED, train_win_model
from opportune.selling.services import (
    make_quotation_from_opportunity,
    make_sales_order_from_quotation,
    submit_quotation,
    submit_sales_order,
)


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


def train_demo_win_model(*, today: date, rng: random.Random) -> None:
    """The win-probability model, trained at the end of the demo (it refuses, and predicts
    nothing, while the demo holds fewer than 200 closed opportunities)."""
    train_win_model(now=timezone.now())


def make_closed_history(*, today: date, rng: random.Random) -> None:
    """Deals of the past for the win model to learn from (it needs 200 closed): made through
    the services as users would, the later the sales stage the likelier won (a quotation and
    its sales order), else declared lost or closed. Nothing when the demo has enough already."""
    closed = Opportunity.objects.filter(status__in=CLOSED).count()
    users = get_user_model().objects.filter(is_active=True)
    sellers = [u for u in users.order_by("username") if not u.is_superuser and is_sales(u)]
    manager = users.filter(username="manager").first() or users.filter(is_superuser=True).first()
    customer = Customer.objects.order_by("name").first()
    item = Item.objects.order_by("pk").first()
    stages = list(SalesStage.objects.values_list("pk", flat=True))
    lost_reasons = list(OpportunityLostReason.objects.values_list("pk", flat=True)) or ["Timing"]
    if closed >= MIN_CLOSED + 20 or not (sellers and manager and customer and item and stages):
        return
    for n in range(MIN_CLOSED + 20 - closed):
        seller = rng.choice(sellers)
        step = rng.randrange(len(stages))
        opportunity = create_opportunity(
            by=seller,
            data={
                "opportunity_from": "Customer",
                "party_name": customer.name,
                "sales_stage": stages[step],
                "opportunity_owner": seller.username,
                "transaction_date": today - timedelta(days=rng.randint(30, 300)),
                "expected_closing": today - timedelta(days=rng.randint(0, 29)),
                "items": [{"item_code": item.pk, "qty": rng.randint(1, 20)}],
            },
        )
        if rng.random() < 0.1 + 0.7 * step / max(1, len(stages) - 1):
            _win(opportunity, by=seller)
        elif n % 3:
            declare_opportunity_lost(
                opportunity,
                lost_reasons=[rng.choice(lost_reasons)],
                version=opportunity.version,
                by=manager,
            )
        else:
            set_opportunity_status(
                opportunity, status="Closed", version=opportunity.version, by=seller
            )


def _win(opportunity: Opportunity, *, by: Any) -> None:
    quotation = submit_quotation(make_quotation_from_opportunity(opportunity, by=by), by=by)
    submit_sales_order(make_sales_order_from_quotation(quotation, by=by), by=by)
