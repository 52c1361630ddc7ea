"""``manage.py load_demo``: a demo company through the services, loaded once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count
from django.test import TestCase
from django.utils import timezone

from opportune.activities.models import NEXT_CONTACT, Event
from opportune.comms.models import Communication, EmailAccount
from opportune.crm import services as crm
from opportune.crm.models import Contact, CRMSettings, Customer, Lead, Opportunity, SalesStage
from opportune.masters.models import CurrencyExchange, Item
from opportune.reports.models import PipelineSnapshotDay, SalesTarget

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


# the reports' demo step adds two years of past deals (made over an hour ago, with their
# history): the crm demo's own are those made now
PAST_DEALS = 340


def todays_deals_by_status() -> dict[str, int]:
    made_now = Opportunity.objects.filter(creation__gte=timezone.now() - timedelta(minutes=50))
    return dict(made_now.values_list("status").annotate(n=Count("pk")).order_by("status"))


def test_if_no_users_skips_a_database_with_users(manager):
    assert load("--if-no-users") == ""
    assert Opportunity.objects.count() == 0
    assert User.objects.count() == 1


@pytest.mark.xdist_group("demo")  # one worker loads it once (CI runs --dist loadgroup)
class TestTheDemo(TestCase):
    """The demo loaded once for the class (load_demo takes 10-20 s: two years of past deals,
    their snapshots and the win model); each test runs in a savepoint rolled back after it."""

    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = load()

    def test_loads_a_small_company(self):
        output = self.output

        assert f"5 users, 30 leads, 15 customers, {40 + PAST_DEALS} opportunities" in output
        assert "demo1234" in output
        assert counts() == {
            "User": 5,
            "Lead": 30,
            "Customer": 15,
            "Contact": 48,
            "Opportunity": 40 + PAST_DEALS,
            "Item": 20,
            "CurrencyExchange": 6,
        }
        # six of the outcomes, and six deals the owner answered by email (test_the_demo_has_email)
        assert todays_deals_by_status() == {"Closed": 4, "Lost": 6, "Open": 18, "Replied": 12}
        # the past deals: outcomes over two years, each with a history of several records
        past = Opportunity.objects.filter(creation__lt=timezone.now() - timedelta(minutes=50))
        assert {"Converted", "Lost", "Closed", "Open"} <= set(past.values_list("status", flat=True))
        first = past.order_by("creation").values_list("creation", flat=True)[0]
        assert first < timezone.now() - timedelta(days=600)
        assert Opportunity.history.filter(name__in=past.values("name")).count() > 2 * PAST_DEALS
        # and the pipeline of every day since, kept (reports.snapshots)
        assert PipelineSnapshotDay.objects.count() > 600
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

    def test_users_have_their_roles_and_the_demo_password(self):
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

    def test_opportunities_are_varied(self):
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

    def test_runs_once(self):
        before = counts()

        assert "nothing loaded" in load()
        assert load("--if-no-users") == ""
        assert counts() == before

    def test_the_demo_shows_the_automation(self):
        """A rota hands new Sales opportunities out in turn; every stage has its stale days; the
        demo's next contacts are on their owners' calendars."""
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
        assert list(
            SalesStage.objects.order_by("idx").values_list("stale_after_days", flat=True)
        ) == [
            14,
            14,
            14,
            21,
            21,
            21,
            28,
            28,
        ]
        planned = Opportunity.objects.exclude(contact_date=None).filter(
            status__in=["Open", "Replied"]
        )
        assert Event.objects.filter(source=NEXT_CONTACT).count() == planned.count() > 0

    def test_the_demo_has_business_hours_and_a_first_response_target(self):
        settings = CRMSettings.load()
        weekdays = {"mon", "tue", "wed", "thu", "fri"}
        assert {day for day, hours in settings.working_hours.items() if hours} == weekdays
        assert all(
            settings.working_hours[day] == [{"start": "09:00", "end": "17:30"}] for day in weekdays
        )
        assert settings.first_response_target_minutes == 240

    def test_the_demo_has_email(self):
        """A sales inbox without a server; on eight open deals an enquiry taken in from the
        party's contact, six of them answered by the owner: Replied, with the first response."""
        account = EmailAccount.objects.get()
        assert (account.name, account.email_id) == ("Sales inbox", "sales@opportune.example")
        assert not account.enable_incoming and not account.imap_password_encrypted
        received = Communication.objects.filter(sent_or_received="Received")
        sent = Communication.objects.filter(sent_or_received="Sent")
        assert received.count() == 8
        assert sent.count() == 6
        assert set(received.values_list("reference_doctype", flat=True)) == {"Opportunity"}
        for email in received:
            deal = Opportunity.objects.get(pk=email.reference_name)
            assert email.sender == deal.contact_email
            assert deal.last_received_on is not None
        for reply in sent.select_related("owner"):
            deal = Opportunity.objects.get(pk=reply.reference_name)
            assert reply.owner == deal.opportunity_owner
            assert reply.in_reply_to == received.get(reference_name=deal.pk).message_id
            assert deal.status == "Replied"
            assert deal.first_responded_on == reply.creation
            assert deal.mins_to_first_response is not None
        answered = set(sent.values_list("reference_name", flat=True))
        waiting = Opportunity.objects.filter(pk__in=received.values("reference_name")).exclude(
            pk__in=answered
        )
        assert waiting.count() == 2
        assert all(d.status == "Open" and d.first_responded_on is None for d in waiting)

    def test_the_demo_has_sales_targets(self):
        targets = SalesTarget.objects.select_related("user")
        assert sorted({t.user.username for t in targets}) == ["manager", "sales1", "sales2"]
        months = sorted({t.month for t in targets})
        today = timezone.localdate()
        assert len(months) == 3 and months[0] == today.replace(day=1)
        assert all(m.day == 1 for m in months) and months[1] > months[0]
        assert targets.count() == 9
        assert all(t.amount > 0 for t in targets)

    def test_a_change_by_a_command_records_import(self):
        """Every history record the demo's command wrote came by the door "import" (core.audit):
        the timeline and the audit log say the demo loaded them."""
        assert set(Opportunity.history.values_list("history_door", flat=True)) == {"import"}
        assert set(Item.history.values_list("history_door", flat=True)) == {"import"}

    def test_the_board_summary_holds_the_demo(self):
        """The board's summary (decision 0034) counted every opportunity the demo wrote, however
        it wrote them, and compacts to one row per (stage, status)."""
        from opportune.crm.stage_totals import compact_stage_totals
        from opportune.crm.tests.test_stage_totals import assert_summary_exact

        assert_summary_exact()
        compact_stage_totals()
        assert_summary_exact()
