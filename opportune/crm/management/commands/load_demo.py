"""A believable small company to try Opportune with: ``python manage.py load_demo``.

Everything goes through the services (as a user would write it), from one seeded random
generator, so two runs on the same day give the same data. Runs once: when the demo users or
any lead, customer or opportunity already exist it changes nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from opportune.automation.services import create_assignment_rule
from opportune.comms import services as comms
from opportune.core.audit import IMPORT, AuditedCommand
from opportune.core.demo import run_demo_steps
from opportune.crm import services as crm
from opportune.crm.defaults import LEAD_SOURCES, LOST_REASONS, SALES_STAGES
from opportune.crm.management.commands._demo_data import (
    CAMPAIGNS,
    COMMENTS,
    COMPANY,
    COMPETITORS,
    CUSTOMER_GROUPS,
    CUSTOMERS,
    DISCUSSION,
    EXCHANGE_RATES,
    FIRST_NAMES,
    INDUSTRIES,
    ITEMS,
    LAST_NAMES,
    LEAD_COMPANIES,
    LEAD_STATUSES,
    LEAD_TERRITORIES,
    LEADS_CONVERTED,
    OPPORTUNITIES_FROM_CUSTOMERS,
    OPPORTUNITIES_FROM_LEADS,
    OUTCOMES,
    PASSWORD,
    SEED,
    SELLERS,
    TERRITORIES,
    USERS,
)
from opportune.crm.models import CRMSettings, Customer, Lead, Opportunity, SalesStage
from opportune.crm.services.masters import CAMPAIGN, COMPETITOR, SALES_STAGE
from opportune.masters.services import (
    CURRENCY_EXCHANGE,
    CUSTOMER_GROUP,
    INDUSTRY,
    ITEM,
    ITEM_GROUP,
    TERRITORY,
    MasterSpec,
    create_master,
    update_master,
)

CENT = Decimal("0.01")
WORKING_HOURS = {
    day: [{"start": "09:00", "end": "17:30"}] for day in ("mon", "tue", "wed", "thu", "fri")
}
FIRST_RESPONSE_TARGET = 240  # business minutes
SALES_INBOX = "sales@opportune.example"
EMAIL_THREADS = 8  # open opportunities with a short email thread
ENQUIRIES = (
    (
        "Quantities for next month",
        "Could you confirm the quantities and the delivery dates for "
        "next month? We would like to place the order this week.",
    ),
    (
        "Question about your offer",
        "Thanks for the offer. Is the price per unit fixed for the "
        "whole year, or does it follow the market?",
    ),
    (
        "Delivery to our second site",
        "We are opening a second site. Can you deliver there too, and what would the lead time be?",
    ),
    (
        "Samples",
        "Before we commit, could you send us a few samples? Our head chef would like to try them.",
    ),
    (
        "Payment terms",
        "Our finance team asks whether 60 days payment terms are possible for an "
        "order of this size.",
    ),
)
REPLIES = (
    "Thanks for your message. I have checked with our warehouse and will send you the "
    "details by tomorrow.",
    "Good question: I am preparing an updated offer with the options and will call you to go "
    "through it.",
    "Happy to help. I have passed this on to our logistics team and will confirm the dates "
    "shortly.",
)


@dataclass
class Counts:
    users: int
    leads: int
    customers: int
    opportunities: int


class Command(AuditedCommand):
    door = IMPORT  # what the demo writes is recorded as imported

    help = (
        "Load a small demo company (Northwind Traders): users, masters, leads, customers, "
        "opportunities, email threads, business hours and (core.demo steps) sales targets."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-no-users",
            action="store_true",
            help="Only when the database has no users at all (used by `make run`).",
        )

    def handle(self, *args, if_no_users: bool, **options):
        if if_no_users and User.objects.exists():
            return
        demo_users = User.objects.filter(username__in=[u[0] for u in USERS])
        if (
            demo_users.exists()
            or Lead.objects.exists()
            or Customer.objects.exists()
            or (Opportunity.objects.exists())
        ):
            self.stdout.write("The database already holds users or CRM data: nothing loaded.")
            return
        with transaction.atomic():
            counts = DemoLoader(random.Random(SEED), today=timezone.localdate()).load()
        self.stdout.write(
            f"Loaded the {COMPANY} demo: {counts.users} users, {counts.leads} leads, "
            f"{counts.customers} customers, {counts.opportunities} opportunities.\n"
            f"Log in with one of: admin (administrator), manager (Sales Manager), sales1, sales2 "
            f"(Sales User), purchase (Purchase User); the password is {PASSWORD}."
        )


class DemoLoader:
    def __init__(self, rng: random.Random, *, today: date):
        self.rng = rng
        self.today = today
        self.users: dict[str, User] = {}

    def load(self) -> Counts:
        self.make_users()
        self.make_masters()
        leads = self.make_leads()
        customers = self.make_customers()
        opportunities = self.make_opportunities(leads, customers)
        self.make_outcomes(opportunities)
        self.make_emails()
        self.make_automation()
        run_demo_steps(today=self.today, rng=self.rng)  # the apps above crm (core.demo)
        return Counts(
            len(self.users),
            Lead.objects.count(),
            Customer.objects.count(),
            Opportunity.objects.count(),
        )

    def make_automation(self) -> None:
        """After the demo's own deals (whose owners are chosen): a rota for the new Sales
        opportunities, and the days after which a deal at each stage goes stale."""
        admin = self.users["admin"]
        create_assignment_rule(
            data={
                "name": "Sales rota",
                "document_type": "Opportunity",
                "priority": 1,
                "description": "New Sales opportunities go to the sales executives in turn.",
                "assign_condition": {
                    "match": "all",
                    "conditions": [{"field": "opportunity_type", "op": "eq", "value": "Sales"}],
                },
                "close_condition": {
                    "match": "any",
                    "conditions": [
                        {"field": "status", "op": "in", "value": ["Lost", "Closed", "Converted"]}
                    ],
                },
                "rule": "Round Robin",
                "users": ["sales1", "sales2"],
            },
            by=admin,
        )
        for position, stage in enumerate(SalesStage.objects.order_by("idx")):
            days = 14 + 7 * (position // 3)  # early stages go stale sooner
            update_master(SALES_STAGE, stage, data={"stale_after_days": days}, by=admin)

    # --- people and masters ---------------------------------------------------------------------
    def make_users(self) -> None:
        for username, first, last, roles, superuser in USERS:
            make = User.objects.create_superuser if superuser else User.objects.create_user
            user = make(
                username=username,
                password=PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@northwind.example",
            )
            user.groups.add(*Group.objects.filter(name__in=roles))
            self.users[username] = user

    def make_masters(self) -> None:
        admin = self.users["admin"]
        settings = CRMSettings.load()
        crm.update_crm_settings(
            data={
                "company_name": COMPANY,
                "company_currency": "USD",
                "working_hours": WORKING_HOURS,
                "first_response_target_minutes": FIRST_RESPONSE_TARGET,
            },
            version=settings.version,
            by=admin,
        )
        for currency, (year_ago, month_ago) in EXCHANGE_RATES.items():
            for days, rate in ((365, year_ago), (30, month_ago)):
                create_master(
                    CURRENCY_EXCHANGE,
                    by=admin,
                    data={
                        "from_currency": currency,
                        "to_currency": "USD",
                        "date": self.today - timedelta(days=days),
                        "exchange_rate": Decimal(rate),
                    },
                )
        for region, countries in TERRITORIES.items():
            create_master(
                TERRITORY, data={"name": region, "parent_territory": "All Territories"}, by=admin
            )
            for country in countries:
                create_master(
                    TERRITORY, data={"name": country, "parent_territory": region}, by=admin
                )
        named_masters: tuple[tuple[MasterSpec[Any], Iterable[str]], ...] = (
            (CUSTOMER_GROUP, CUSTOMER_GROUPS),
            (INDUSTRY, INDUSTRIES),
            (CAMPAIGN, CAMPAIGNS),
            (COMPETITOR, COMPETITORS),
            (ITEM_GROUP, sorted({item[2] for item in ITEMS})),
        )
        for spec, names in named_masters:
            for name in names:
                create_master(spec, data={"name": name}, by=admin)
        for code, name, group, uom, rate in ITEMS:
            create_master(
                ITEM,
                by=admin,
                data={
                    "name": code,
                    "item_name": name,
                    "item_group": group,
                    "stock_uom": uom,
                    "standard_rate": Decimal(rate),
                },
            )

    # --- parties --------------------------------------------------------------------------------
    def make_leads(self) -> list[Lead]:
        rng, leads = self.rng, []
        statuses = LEAD_STATUSES[:]
        rng.shuffle(statuses)
        for n, company in enumerate(LEAD_COMPANIES):
            first, last = FIRST_NAMES[n], LAST_NAMES[n]
            owner = SELLERS[n % len(SELLERS)]
            domain = "".join(c for c in company.lower() if c.isalnum())[:20]
            leads.append(
                crm.create_lead(
                    by=self.users[owner],
                    data={
                        "lead_name": f"{first} {last}",
                        "company_name": company,
                        "email_id": f"{first.lower()}.{last.lower()}@{domain}.example",
                        "phone": f"+1 555 01{n:02d}",
                        "job_title": rng.choice(
                            ["Owner", "Buyer", "Purchasing Manager", "Head Chef", "Store Manager"]
                        ),
                        "source": rng.choice(LEAD_SOURCES),
                        "campaign": rng.choice(CAMPAIGNS) if rng.random() < 0.4 else None,
                        "territory": rng.choice(LEAD_TERRITORIES),
                        "industry": rng.choice(INDUSTRIES),
                        "lead_owner": owner,
                        "status": statuses[n],
                    },
                )
            )
        return leads

    def make_customers(self) -> list[Customer]:
        customers = []
        for n, (name, group, territory, industry, currency, contacts) in enumerate(CUSTOMERS):
            by = self.users[SELLERS[n % len(SELLERS)]]
            domain = "".join(c for c in name.lower() if c.isalnum())[:20]
            customer = crm.create_customer(
                by=by,
                data={
                    "customer_name": name,
                    "customer_group": group,
                    "territory": territory,
                    "industry": industry,
                    "default_currency": currency,
                    "email_id": f"orders@{domain}.example",
                    "phone": f"+1 555 02{n:02d}",
                },
            )
            self.add_contacts(customer, contacts, domain, by=by)
            customers.append(customer)
        return customers

    def add_contacts(self, party, contacts, domain: str, *, by) -> None:
        for idx, (first, last, designation) in enumerate(contacts):
            crm.create_contact(
                by=by,
                data={
                    "first_name": first,
                    "last_name": last,
                    "designation": designation,
                    "email_id": f"{first.lower()}.{last.lower()}@{domain}.example",
                    "mobile_no": f"+1 555 03{self.rng.randint(10, 99)}",
                    "link_doctype": party.doctype,
                    "link_name": party.name,
                    "is_primary_contact": idx == 0,
                },
            )

    # --- opportunities --------------------------------------------------------------------------
    def make_opportunities(self, leads: list[Lead], customers: list[Customer]) -> list[Opportunity]:
        rng = self.rng
        workable = [lead for lead in leads if lead.status != Lead.Status.DO_NOT_CONTACT]
        from_leads = rng.sample(workable, OPPORTUNITIES_FROM_LEADS + LEADS_CONVERTED)
        opportunities = []
        for n, lead in enumerate(from_leads):
            seller = lead.lead_owner
            assert seller is not None  # every demo lead has an owner
            opportunity = crm.make_opportunity_from_lead(
                lead,
                by=seller,
                data=self.opportunity_data(seller.username, currency="USD"),
            )
            if n < LEADS_CONVERTED:  # the lead became a customer (its contact came along)
                crm.make_customer_from_opportunity(opportunity, by=lead.lead_owner or seller)
            opportunities.append(opportunity)
        for n in range(OPPORTUNITIES_FROM_CUSTOMERS):
            customer = customers[n % len(customers)]
            owner = rng.choice(SELLERS)
            currency = customer.default_currency_id
            assert currency is not None  # every demo customer has one
            data = self.opportunity_data(owner, currency=currency)
            opportunities.append(
                crm.create_opportunity(
                    by=self.users[owner],
                    data={"opportunity_from": "Customer", "party_name": customer.name, **data},
                )
            )
        return opportunities

    def opportunity_data(self, owner: str, *, currency: str) -> dict:
        rng = self.rng
        started = self.today - timedelta(days=rng.randint(0, 120))
        data: dict[str, Any] = {
            "opportunity_type": rng.choices(["Sales", "Support", "Maintenance"], [8, 1, 1])[0],
            "sales_stage": rng.choice(SALES_STAGES)[0],
            "source": rng.choice(LEAD_SOURCES),
            "campaign": rng.choice(CAMPAIGNS) if rng.random() < 0.3 else None,
            "opportunity_owner": owner,
            "currency": currency,
            "transaction_date": started,
            "expected_closing": max(started, self.today) + timedelta(days=rng.randint(7, 180)),
            "to_discuss": rng.choice(DISCUSSION) if rng.random() < 0.5 else "",
        }
        if rng.random() < 0.7:
            data["items"] = self.item_rows(currency, started)
        else:
            amount = Decimal(rng.randint(20, 600) * 100)
            data["opportunity_amount"] = str(self.in_currency(amount, currency, started))
        if rng.random() < 0.4:
            when = datetime.combine(self.today + timedelta(days=rng.randint(1, 21)), time(10))
            data["contact_date"] = timezone.make_aware(when)
            data["contact_by"] = owner
        return data

    def item_rows(self, currency: str, on: date) -> list[dict]:
        rows = []
        for code, _name, _group, uom, rate in self.rng.sample(ITEMS, self.rng.randint(1, 4)):
            qty = self.rng.randint(1, 8) if uom in ("Hour", "Day") else self.rng.randint(5, 120)
            rows.append(
                {
                    "item_code": code,
                    "qty": qty,
                    "rate": str(self.in_currency(Decimal(rate), currency, on)),
                }
            )
        return rows

    def in_currency(self, usd: Decimal, currency: str, on: date) -> Decimal:
        """A USD price expressed in ``currency`` at the rate of that day."""
        if currency == "USD":
            return usd
        year_ago, month_ago = EXCHANGE_RATES[currency]
        rate = Decimal(month_ago if on >= self.today - timedelta(days=30) else year_ago)
        return (usd / rate).quantize(CENT)

    def make_outcomes(self, opportunities: list[Opportunity]) -> None:
        rng, manager = self.rng, self.users["manager"]
        outcomes = OUTCOMES[:]
        rng.shuffle(outcomes)
        for opportunity, outcome in zip(opportunities, outcomes, strict=True):
            owner = opportunity.opportunity_owner
            assert owner is not None  # every demo opportunity has an owner
            if outcome == "Lost":
                crm.declare_opportunity_lost(
                    opportunity,
                    by=manager,
                    version=opportunity.version,
                    lost_reasons=rng.sample(LOST_REASONS, rng.randint(1, 2)),
                    competitors=rng.sample(COMPETITORS, rng.randint(0, 1)),
                    detail=rng.choice(
                        ["", "Went with a cheaper local supplier.", "Budget moved to next year."]
                    ),
                )
            elif outcome in ("Replied", "Closed"):
                crm.set_opportunity_status(
                    opportunity, status=outcome, version=opportunity.version, by=owner
                )
            elif rng.random() < 0.3:
                crm.add_opportunity_comment(opportunity, content=rng.choice(COMMENTS), by=owner)

    # --- email ----------------------------------------------------------------------------------
    def make_emails(self) -> None:
        """A sales inbox (no server: the default EMAIL_URL sends), and on a few open deals an
        enquiry from the party taken in as if fetched, most of them answered by the owner
        (queued: the worker sends it; Open becomes Replied and the first response is set)."""
        rng, admin = self.rng, self.users["admin"]
        account = comms.create_email_account(
            by=admin,
            data={
                "name": "Sales inbox",
                "email_id": SALES_INBOX,
                "enable_incoming": False,
                "default_outgoing": True,
            },
        )
        # one deal per party, so the sender's address threads the mail onto that deal
        open_deals = Opportunity.objects.filter(status__in=Opportunity.ACTIVE_STATUSES)
        per_party = Counter(open_deals.values_list("opportunity_from", "party_name"))
        candidates = [
            o
            for o in open_deals.filter(status=Opportunity.Status.OPEN)
            .exclude(contact_email="")
            .select_related("opportunity_owner")
            .order_by("name")
            if per_party[(o.opportunity_from, o.party_name)] == 1
        ]
        now = timezone.now()
        for n, opportunity in enumerate(
            rng.sample(candidates, min(EMAIL_THREADS, len(candidates)))
        ):
            owner = opportunity.opportunity_owner
            assert owner is not None  # every demo opportunity has an owner
            subject, body = rng.choice(ENQUIRIES)
            message = EmailMessage()
            sender = opportunity.contact_email
            message["From"] = formataddr((opportunity.contact_display or "", sender))
            message["To"] = SALES_INBOX
            message["Subject"] = subject
            message["Date"] = format_datetime(now - timedelta(minutes=rng.randint(30, 600)))
            message["Message-ID"] = f"<demo.{rng.getrandbits(64):016x}@{sender.split('@')[-1]}>"
            message.set_content(f"Hello,\n\n{body}\n\nBest regards")
            received, _ = comms.ingest_email(message.as_bytes(), account=account, now=now)
            assert received.reference_name == opportunity.name  # threaded by the sender
            if n % 4 == 3:
                continue  # still waiting for an answer
            comms.queue_email(
                reference_doctype=Opportunity.doctype,
                reference_name=opportunity.name,
                recipients=[sender],
                subject=f"Re: {subject}",
                content=f"Hello,\n\n{rng.choice(REPLIES)}\n\n{owner.get_full_name()}",
                by=owner,
                account=account,
            )
