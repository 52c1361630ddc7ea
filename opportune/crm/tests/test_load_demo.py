"""``manage.py load_demo``: a demo company through the services, loaded once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count

from opportune.activities.models import NEXT_CONTACT, Event
from opportune.crm import services as crm
from opportune.crm.models import Contact, CRMSettings, Customer, Lead, Opportunity, SalesStage
from opportune.masters.models import CurrencyExchange, Item

pytestmark = pytest.mark.django_db


def load(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Lead, Customer, Contact, Opportunity, Item, CurrencyExchange)
    }


def by_status(model) -> dict[str, int]:
    return dict(model.objects.values_list("status").annotate(n=Count("pk")).order_by("status"))


def test_loads_a_small_company():
    output = load()

    assert "5 users, 30 leads, 15 customers, 40 opportunities" in output
    assert "demo1234" in output
    assert counts() == {
        "User": 5,
        "Lead": 30,
        "Customer": 15,
        "Contact": 48,
        "Opportunity": 40,
        "Item": 20,
        "CurrencyExchange": 6,
    }
    assert by_status(Opportunity) == {"Closed": 4, "Lost": 6, "Open": 24, "Replied": 6}
    lead_statuses = by_status(Lead)
    assert lead_statuses["Converted"] == 3
    assert lead_statuses["Opportunity"] == 10
    assert lead_statuses["Do Not Contact"] == 2
    # every lead got its contact (CRM Settings), and a converted lead's came along once
    assert Contact.objects.filter(link_doctype="Lead").count() == 30
    converted = Customer.objects.exclude(lead_name=None).values_list("name", flat=True)
    assert sorted(
        Contact.objects.filter(link_doctype="Customer", link_name__in=converted).values_list(
            "link_name", flat=True
        )
    ) == sorted(converted)
    settings = CRMSettings.load()
    assert (settings.company_name, settings.company_currency_id) == ("Northwind Traders", "USD")


def test_users_have_their_roles_and_the_demo_password():
    load()
    roles = {
        u.username: sorted(u.groups.values_list("name", flat=True)) for u in User.objects.all()
    }
    assert roles == {
        "admin": [],
        "manager": ["Sales Manager", "Sales User"],
        "sales1": ["Sales User"],
        "sales2": ["Sales User"],
        "purchase": ["Purchase User"],
    }
    assert User.objects.get(username="admin").is_superuser
    assert all(u.check_password("demo1234") for u in User.objects.all())


def test_opportunities_are_varied():
    load()
    opportunities = Opportunity.objects.all()
    assert set(opportunities.values_list("currency", flat=True)) == {"USD", "EUR", "GBP", "INR"}
    assert set(opportunities.values_list("opportunity_owner__username", flat=True)) == {
        "sales1",
        "sales2",
        "manager",
    }
    assert opportunities.filter(opportunity_from="Lead").count() == 13
    assert opportunities.filter(with_items=True).exists()
    assert opportunities.exclude(contact_date=None).exists()
    assert len(set(opportunities.values_list("sales_stage", flat=True))) >= 5
    for lost in opportunities.filter(status="Lost"):
        assert lost.lost_reasons.exists()
    for opportunity in opportunities.exclude(currency="USD"):
        assert opportunity.conversion_rate != 1
        assert opportunity.base_opportunity_amount > 0


def test_runs_once():
    load()
    before = counts()

    assert "nothing loaded" in load()
    assert load("--if-no-users") == ""
    assert counts() == before


def test_if_no_users_skips_a_database_with_users(manager):
    assert load("--if-no-users") == ""
    assert Opportunity.objects.count() == 0
    assert User.objects.count() == 1


def test_the_demo_shows_the_automation():
    """A rota hands new Sales opportunities out in turn; every stage has its stale days; the
    demo's next contacts are on their owners' calendars."""
    load()
    manager = User.objects.get(username="manager")
    customer = Customer.objects.order_by("name")[0]
    made = [
        crm.create_opportunity(
            data={"opportunity_from": "Customer", "party_name": customer.name}, by=manager
        )
        for _ in range(3)
    ]
    owners = list(
        Opportunity.objects.filter(pk__in=[o.pk for o in made])
        .order_by("name")
        .values_list("opportunity_owner__username", flat=True)
    )
    assert owners == ["sales1", "sales2", "sales1"]
    assert list(SalesStage.objects.order_by("idx").values_list("stale_after_days", flat=True)) == [
        14,
        14,
        14,
        21,
        21,
        21,
        28,
        28,
    ]
    planned = Opportunity.objects.exclude(contact_date=None).filter(status__in=["Open", "Replied"])
    assert Event.objects.filter(source=NEXT_CONTACT).count() == planned.count() > 0
