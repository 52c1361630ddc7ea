"""The reports' part of the demo (core.demo): a sales target for every sales user for this
month and the next two, set by an administrator through the targets service; two years of
past deals with their history and the pipeline kept day by day (issue 15); as many more
closed deals as the win model needs, and the model trained on them."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from opportune.accounts.roles import is_sales
from opportune.core import search
from opportune.core.audit import IMPORT
from opportune.core.company import company_settings
from opportune.core.models import NamingSeries
from opportune.core.schedule import company_zone
from opportune.crm.models import (
    Customer,
    LeadSource,
    Opportunity,
    OpportunityLostReason,
    SalesStage,
)
from opportune.crm.services import (
    create_opportunity,
    declare_opportunity_lost,
    set_opportunity_status,
)
from opportune.masters.models import Item
from opportune.reports.services import set_sales_target
from opportune.reports.snapshots import History, build_days, first_history_day
from opportune.reports.stories import story
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


PAST_DEALS = 340  # over the two years before the demo's day
OUTCOMES = [("Converted", 35), ("Lost", 40), ("Closed", 25)]


def make_pipeline_history(*, today: date, rng: random.Random) -> None:
    """Two years of deals with their past (issue 15): made at an early stage, moved forward and
    back, revised, slipped, then won, lost or closed (the older ones) or still open (the
    recent ones), each history record dated when it happened; then the kept pipeline
    (decision 0032) from that history, so the pipeline as of a past day, what moved and the
    forecast's accuracy have something true to show. Written in bulk (records of the past, not
    changes made now): the opportunities, their history and their search entries."""
    sellers = [
        u
        for u in get_user_model().objects.filter(is_active=True).order_by("username")
        if not u.is_superuser and is_sales(u)
    ]
    customers = list(Customer.objects.order_by("name").values_list("name", flat=True)[:40])
    if not sellers or not customers:
        return
    zone = company_zone()
    now = timezone.now()
    company_currency = company_settings().company_currency_id
    stages = list(SalesStage.objects.order_by("idx", "name").values_list("name", "probability"))
    sources: list[str | None] = [*LeadSource.objects.values_list("name", flat=True)] or [None]
    reasons = list(OpportunityLostReason.objects.values_list("name", flat=True))
    opportunities: list[Opportunity] = []
    records: list[object] = []
    lost: list[tuple[str, str]] = []
    for _ in range(PAST_DEALS):
        age = timedelta(days=730 * rng.random() ** 1.3)  # more of them recently
        created = datetime.combine(today, time(9), tzinfo=zone) - age
        created += timedelta(minutes=rng.randint(0, 8 * 60))
        created = min(created, now - timedelta(hours=1))
        stage, probability = rng.choice(stages)
        old = age > timedelta(days=100)
        status = rng.choices([s for s, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        if not old or rng.random() < 0.1:
            status = rng.choices(["Open", "Replied"], [4, 1])[0]
        last = created + timedelta(days=rng.randint(5, 100) if old else rng.randint(0, 30))
        owner = rng.choice(sellers)
        amount = Decimal(rng.randint(20, 600) * 100)
        customer = rng.choice(customers)
        opp = {
            "name": NamingSeries.next_name(Opportunity.naming_series, created),
            "creation": created,
            "modified": min(last, now),
            "owner_id": owner.pk,
            "modified_by_id": owner.pk,
            "opportunity_from": "Customer",
            "party_name": customer,
            "customer_id": customer,
            "customer_name": customer,
            "title": customer,
            "opportunity_type_id": "Sales",
            "status": status,
            "sales_stage_id": stage,
            "source_id": rng.choice(sources),
            "opportunity_owner_id": owner.pk,
            "transaction_date": timezone.localdate(created, timezone=zone),
            "expected_closing": created.date() + timedelta(days=rng.randint(20, 150)),
            "probability": probability,
            "currency_id": company_currency,
            "conversion_rate": Decimal(1),
            "opportunity_amount": amount,
            "base_opportunity_amount": amount,
        }
        opportunities.append(Opportunity(**opp))
        for record in story(rng, opp, stages=stages, until=now):
            fields = {k: v for k, v in record.items() if k not in ("modified", "modified_by_id")}
            records.append(History(**fields, history_user_id=owner.pk, history_door=IMPORT))
        if status == "Lost" and reasons:
            lost.append((str(opp["name"]), rng.choice(reasons)))
    Opportunity.objects.bulk_create(opportunities, batch_size=500)
    History.objects.bulk_create(records, batch_size=500)
    through = Opportunity.lost_reasons.through
    through.objects.bulk_create(
        [through(opportunity_id=n, opportunitylostreason_id=r) for n, r in lost]
    )
    search.rebuild(Opportunity)
    first = first_history_day()
    if first is not None:
        build_days(first, today - timedelta(days=1))


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
