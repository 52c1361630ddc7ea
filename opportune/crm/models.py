"""Leads, customers, contacts and opportunities, with their masters and CRM settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Subquery
from django.db.models.functions import Upper
from django.utils import timezone

from opportune.core.business_hours import DEFAULT_WORKING_HOURS, Schedule, parse_schedule
from opportune.core.company import company_settings
from opportune.core.models import Document, audited_history
from opportune.core.statements import fetch_master
from opportune.core.transactions import MONEY, QTY, RATE
from opportune.masters.models import (
    UOM,
    Currency,
    CustomerGroup,
    Industry,
    Item,
    ItemGroup,
    Territory,
)

USER = settings.AUTH_USER_MODEL


# --- masters -----------------------------------------------------------------------------------
class _NamedMaster(models.Model):
    name = models.CharField(max_length=140, primary_key=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OpportunityType(_NamedMaster):
    description = models.TextField(blank=True)

    history = audited_history()


class LeadSource(_NamedMaster):
    details = models.TextField(blank=True)

    history = audited_history()


class Campaign(_NamedMaster):
    description = models.TextField(blank=True)

    history = audited_history()


class SalesStage(_NamedMaster):
    """A step of the pipeline; ``idx`` orders the kanban columns."""

    idx = models.PositiveSmallIntegerField(default=0)
    probability = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    # Odoo's "rotting days": an open opportunity untouched for longer is stale; empty: never
    stale_after_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="An open opportunity in this stage not changed for more days than this is "
        "shown as stale (Odoo's rotting days); empty: never.",
    )

    history = audited_history()

    class Meta:
        ordering = ["idx", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="sales_stage_probability_0_100",
            ),
            models.CheckConstraint(
                condition=Q(stale_after_days__isnull=True) | Q(stale_after_days__gte=1),
                name="sales_stage_stale_after_days_positive",
            ),
        ]


class OpportunityLostReason(_NamedMaster):
    history = audited_history()


class Competitor(_NamedMaster):
    website = models.URLField(blank=True)

    history = audited_history()


def default_working_hours() -> dict[str, list[dict[str, str]]]:
    return {day: [dict(i) for i in hours] for day, hours in DEFAULT_WORKING_HOURS.items()}


class CRMSettings(models.Model):
    """The one row of CRM settings (``CRMSettings.load()``)."""

    audit_kind = "settings"  # its changes show on the audit page with the masters' (core.auditlog)

    company_name = models.CharField(max_length=140, default="My Company")
    company_currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", default="USD"
    )
    time_zone = models.CharField(max_length=60, default="UTC")
    close_opportunity_after_days = models.PositiveIntegerField(
        default=15,
        help_text="Close a Replied opportunity after this many days of silence; 0 never.",
    )
    default_valid_till = models.PositiveIntegerField(
        "default quotation validity (days)", null=True, blank=True
    )
    carry_forward_communication_and_comments = models.BooleanField(default=False)
    auto_creation_of_contact = models.BooleanField(default=True)
    # ERPNext's rule: a second lead with the same email address is refused unless this is on
    allow_lead_duplication_based_on_emails = models.BooleanField(default=False)
    sales_users_see_all = models.BooleanField(
        default=False,
        help_text="Sales users see every lead and opportunity (ERPNext's behaviour).",
    )
    # Business hours (core.business_hours): wall-clock intervals per weekday and holidays, in
    # ``time_zone``; checked strictly by the settings service and the admin form.
    working_hours = models.JSONField(default=default_working_hours, blank=True)
    holidays = models.JSONField(default=list, blank=True)
    first_response_target_minutes = models.PositiveIntegerField(
        "first response target (business minutes)",
        null=True,
        blank=True,
        help_text="An Open opportunity without a first response after this many business "
        "minutes is flagged on the list and the home page; empty: never.",
    )
    version = models.PositiveIntegerField(default=1)

    history = audited_history(excluded_fields=["version"])

    class Meta:
        verbose_name = "CRM settings"
        verbose_name_plural = "CRM settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="crm_settings_single_row")]

    def __str__(self) -> str:
        return "CRM settings"

    @classmethod
    def load(cls) -> CRMSettings:
        """The row (made when missing), with its currency: a kept statement
        (core/statements.py), as every write reads it (prices, record rules), its rows kept in
        the process (core.master_cache)."""
        found = fetch_master(
            "crm.settings", lambda v: cls.objects.select_related("company_currency").filter(pk=1)
        )
        if found:
            settings_row: CRMSettings = found[0]
            return settings_row
        obj, _ = cls.objects.select_related("company_currency").get_or_create(pk=1)
        return obj

    @classmethod
    def precision_subquery(cls) -> Subquery:
        """The company currency's minor unit inside another query (NULL before the settings
        row exists): a list reads it with its rows instead of loading the settings."""
        currency = cls.objects.filter(pk=1).order_by().values("company_currency_id")[:1]
        # nested, not joined: the lean query stays join-free (core/api_lists.py)
        precision = Currency._base_manager.filter(pk=Subquery(currency)).order_by()
        return Subquery(precision.values("precision")[:1])

    def business_schedule(self) -> Schedule:
        """The company's working hours and holidays, read once per settings row."""
        cached: Schedule | None = self.__dict__.get("_schedule")
        if cached is None:
            cached = parse_schedule(self.working_hours, self.holidays, self.time_zone)
            self.__dict__["_schedule"] = cached
        return cached

    @classmethod
    def current(cls) -> CRMSettings:
        """The settings row, read at most once per request (``core.company``)."""
        settings = company_settings()
        assert isinstance(settings, cls)
        return settings


# --- parties -----------------------------------------------------------------------------------
# What a phone number is compared by when looking for duplicates (crm.services.duplicates): the
# number without its usual separators, its last 9 characters (a national number, whatever the
# prefix: "+49 30 1234-5678" and "030 12345678" match). Plain REPLACE and RIGHT: the same
# expression, indexable, on SQLite and PostgreSQL.
PHONE_SEPARATORS = (" ", "-", "(", ")", ".", "/", "+")
PHONE_KEY_LENGTH = 9


def _without_separators(sql: str) -> str:
    for separator in PHONE_SEPARATORS:
        sql = f"REPLACE({sql}, '{separator}', '')"
    return sql


class PhoneKey(Func):
    """A phone column's key, as SQL with its constants written out (not bound parameters), so
    that the query's expression is the indexed one, which SQLite needs to use the index."""

    output_field = models.CharField()
    template = f"RIGHT({_without_separators('%(expressions)s')}, {PHONE_KEY_LENGTH})"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = f"SUBSTR({_without_separators('%(expressions)s')}, -{PHONE_KEY_LENGTH})"
        return self.as_sql(compiler, connection, template=template, **extra)


def duplicate_indexes(prefix: str) -> list[models.Index]:
    """The indexes the duplicate check reads (decision 0025): the address without case and the
    phone and mobile numbers by their key."""
    return [
        models.Index(Upper("email_id"), name=f"{prefix}_email_upper"),
        models.Index(PhoneKey("phone"), name=f"{prefix}_phone_key"),
        models.Index(PhoneKey("mobile_no"), name=f"{prefix}_mobile_key"),
    ]


class Lead(Document):
    naming_series = "CRM-LEAD-.YYYY.-"
    doctype = "Lead"
    search_fields = ("name", "lead_name", "company_name", "email_id", "phone", "mobile_no")

    class Status(models.TextChoices):
        LEAD = "Lead"
        OPEN = "Open"
        REPLIED = "Replied"
        OPPORTUNITY = "Opportunity"
        QUOTATION = "Quotation"
        LOST_QUOTATION = "Lost Quotation"
        INTERESTED = "Interested"
        CONVERTED = "Converted"
        DO_NOT_CONTACT = "Do Not Contact"

    lead_name = models.CharField(max_length=140)
    company_name = models.CharField(max_length=140, blank=True)
    email_id = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile_no = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=140, blank=True)
    website = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    source = models.ForeignKey(
        LeadSource, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    industry = models.ForeignKey(
        Industry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LEAD)
    notes = models.TextField(blank=True)
    disabled = models.BooleanField(default=False)

    history = audited_history(excluded_fields=["version", "modified", "modified_by"])

    class Meta:
        ordering = ["-modified"]
        indexes = [
            models.Index(fields=["status", "-modified"]),
            models.Index(fields=["lead_owner", "status"]),
            models.Index(fields=["lead_name"]),
            # the funnel's first step: the leads made in a period
            models.Index(fields=["creation"], name="lead_creation"),
            *duplicate_indexes("lead"),
        ]

    @property
    def title(self) -> str:
        return self.company_name or self.lead_name


class Customer(Document):
    doctype = "Customer"
    search_fields = ("name", "customer_name", "email_id", "phone", "mobile_no")

    class CustomerType(models.TextChoices):
        COMPANY = "Company"
        INDIVIDUAL = "Individual"

    customer_name = models.CharField(max_length=140, db_index=True)
    customer_type = models.CharField(
        max_length=20, choices=CustomerType.choices, default=CustomerType.COMPANY
    )
    customer_group = models.ForeignKey(
        CustomerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    industry = models.ForeignKey(
        Industry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    default_currency = models.ForeignKey(
        Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    email_id = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile_no = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=200, blank=True)
    lead_name = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    opportunity_name = models.ForeignKey(
        "Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disabled = models.BooleanField(default=False)

    history = audited_history(excluded_fields=["version", "modified", "modified_by"])

    class Meta:
        ordering = ["customer_name"]
        indexes = duplicate_indexes("customer")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity_name"],
                condition=Q(opportunity_name__isnull=False),
                name="customer_one_per_opportunity",
            )
        ]


class Contact(Document):
    """A person at a lead, customer or supplier (``link_doctype`` / ``link_name``)."""

    naming_series = "CONT-.YYYY.-"
    doctype = "Contact"
    # full_name (a property) lets "Ada Love" match across the two name fields
    search_fields = (
        "name",
        "first_name",
        "last_name",
        "full_name",
        "email_id",
        "phone",
        "mobile_no",
    )

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email_id = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile_no = models.CharField(max_length=40, blank=True)
    designation = models.CharField(max_length=140, blank=True)
    link_doctype = models.CharField(max_length=20, blank=True)
    link_name = models.CharField(max_length=140, blank=True)
    is_primary_contact = models.BooleanField(default=False)

    history = audited_history(excluded_fields=["version", "modified", "modified_by"])

    class Meta:
        ordering = ["first_name", "last_name"]
        indexes = [
            models.Index(fields=["link_doctype", "link_name"]),
            *duplicate_indexes("contact"),
        ]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# --- opportunity -------------------------------------------------------------------------------
# the copied columns of an opportunity's history records that get no index of their own
HISTORY_UNINDEXED = [
    "creation",
    "owner",
    "lead",
    "customer",
    "opportunity_type",
    "sales_stage",
    "source",
    "campaign",
    "opportunity_owner",
    "currency",
    "contact_person",
    "territory",
    "customer_group",
    "industry",
    "contact_by",
]


# What a sales user's record rule reads of an opportunity besides its owner (crm.access): who
# made it, who is to contact the party, and its name (the open assignments' subquery). The
# report indexes INCLUDE them so a sales rep's report applies the rule inside the index (an
# index-only scan) instead of fetching every row of the period from the table to test it
# (docs/performance.md, "Reports at 1M, fourth pass"). Neither changes after creation except
# contact_by, whose own index (opp_next_contact) already makes its change a non-HOT update.
RULE_COLUMNS = ["owner", "contact_by", "name"]


class Opportunity(Document):
    naming_series = "CRM-OPP-.YYYY.-"
    doctype = "Opportunity"
    search_fields = ("name", "title", "party_name", "contact_email")

    # The document base's audit columns, without their single-column indexes (decision 0022):
    # the lists sort by modified through opp_modified_name, and nothing reads the others at scale.
    creation = models.DateTimeField(default=timezone.now, editable=False)
    modified = models.DateTimeField(default=timezone.now)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )

    class From(models.TextChoices):
        LEAD = "Lead"
        CUSTOMER = "Customer"

    class Status(models.TextChoices):
        OPEN = "Open"
        REPLIED = "Replied"
        QUOTATION = "Quotation"
        CONVERTED = "Converted"
        CLOSED = "Closed"
        LOST = "Lost"

    # Statuses a user may choose by hand, from each status. Quotation and Converted are only
    # ever computed (from quotations and orders); Lost needs reasons (declare_opportunity_lost).
    MANUAL_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.OPEN: frozenset({Status.REPLIED, Status.CLOSED}),
        Status.REPLIED: frozenset({Status.OPEN, Status.CLOSED}),
        Status.QUOTATION: frozenset({Status.CLOSED}),
        Status.CONVERTED: frozenset(),
        Status.CLOSED: frozenset({Status.OPEN}),
        Status.LOST: frozenset({Status.OPEN}),
    }
    # Statuses in which the opportunity is still being worked (the pipeline).
    ACTIVE_STATUSES = (Status.OPEN, Status.REPLIED, Status.QUOTATION)

    opportunity_from = models.CharField(max_length=10, choices=From.choices)
    party_name = models.CharField(max_length=140)
    lead = models.ForeignKey(
        Lead,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,
    )
    # A copy of the lead's creation (the funnel's median days without a join to every lead:
    # docs/performance.md, "Reports at 1M, seventh pass"; decision 0036), with the lead it was
    # copied from. Set by save() when the lead changes; a writer that moves the lead without it
    # (a merge's bulk update, an import) leaves the pair pointing at the old lead, and a reader
    # uses the copy only while ``lead_creation_of`` is still the opportunity's lead
    # (reports/queries/funnel.py ``lead_created``), else it reads the lead: never stale, at worst slower.
    lead_creation = models.DateTimeField(null=True, blank=True, editable=False)
    lead_creation_of = models.CharField(max_length=140, null=True, blank=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,
    )
    customer_name = models.CharField(max_length=140, blank=True)
    title = models.CharField(max_length=140, blank=True)
    opportunity_type = models.ForeignKey(
        OpportunityType, on_delete=models.PROTECT, related_name="+", db_index=False, default="Sales"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    sales_stage = models.ForeignKey(
        SalesStage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    source = models.ForeignKey(
        LeadSource,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    opportunity_owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    transaction_date = models.DateField()
    expected_closing = models.DateField(null=True, blank=True)
    probability = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("100"))
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    conversion_rate = models.DecimalField(**RATE, default=Decimal(1))
    opportunity_amount = models.DecimalField(**MONEY, default=Decimal(0))
    base_opportunity_amount = models.DecimalField(**MONEY, default=Decimal(0))
    with_items = models.BooleanField(default=False)
    total = models.DecimalField(**MONEY, default=Decimal(0))
    base_total = models.DecimalField(**MONEY, default=Decimal(0))
    contact_person = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    contact_display = models.CharField(max_length=140, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_mobile = models.CharField(max_length=40, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=140, blank=True)
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    customer_group = models.ForeignKey(
        CustomerGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    industry = models.ForeignKey(
        Industry, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contact_date = models.DateTimeField("next contact date", null=True, blank=True)
    contact_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name="next contact by",
    )
    to_discuss = models.TextField(blank=True)
    lost_reasons = models.ManyToManyField(OpportunityLostReason, blank=True, related_name="+")
    competitors = models.ManyToManyField(Competitor, blank=True, related_name="+")
    order_lost_reason = models.TextField("detailed lost reason", blank=True)
    # Business clocks (never `modified`): when it became Replied, when the party last wrote.
    replied_on = models.DateTimeField(null=True, blank=True)
    last_received_on = models.DateTimeField(null=True, blank=True)
    first_responded_on = models.DateTimeField(null=True, blank=True)
    mins_to_first_response = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    # The same wait counted in working minutes only (CRM Settings' hours and holidays).
    business_mins_to_first_response = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )

    history = audited_history(
        excluded_fields=[
            "version",
            "modified",
            "modified_by",
            "replied_on",
            "last_received_on",
            "lead_creation",  # a copy of the lead's (never a change of the opportunity's)
            "lead_creation_of",
        ],
        # History is read by document (name), date, user and door only: no index per copied
        # foreign key (each costs a write per record; the auto-close job writes 100,000).
        no_db_index=HISTORY_UNINDEXED,
    )

    class Meta:
        # Foreign keys that lead a composite index below get no index of their own
        # (db_index=False above): fewer indexes, faster writes at a million rows.
        ordering = ["-modified", "-name"]
        verbose_name_plural = "opportunities"
        # Every index is written by every insert and by every update that changes an indexed
        # column (auto-close updates 100,000 at a time): only those a benchmarked list, board,
        # report, job or record rule reads (decision 0022, docs/performance.md). The text search
        # has its own table (core.SearchEntry); the audit columns of the document base get no
        # index of their own here (the lists sort by modified through opp_modified_name).
        indexes = [
            models.Index(fields=["-modified", "-name"], name="opp_modified_name"),
            models.Index(fields=["status", "-modified"], name="opp_status_modified"),
            models.Index(fields=["sales_stage", "status"], name="opp_stage_status"),
            # an owner's list by status, newest first, read in order (issue 12: the list API)
            models.Index(
                fields=["opportunity_owner", "status", "-modified", "-name"],
                name="opp_owner_status_modified",
            ),
            models.Index(fields=["transaction_date"], name="opp_transaction_date"),
            # the list sorted by amount (a column of the list page; decision 0022 dropped the
            # amount's b-tree until a benchmark showed the wait: 860 ms at 1,000,000 without it)
            models.Index(fields=["opportunity_amount", "name"], name="opp_amount_name"),
            # Covering indexes (bench/, docs/performance.md): the board columns and the pipeline
            # and forecast reports aggregate from the index alone, without reading the table.
            # The board's holds the live pipeline only (what a closed or lost deal leaves).
            models.Index(
                fields=["status", "sales_stage", "probability", "base_opportunity_amount"],
                name="opp_board",
                condition=Q(status__in=["Open", "Replied", "Quotation"]),
            ),
            # The board's cards (docs/decisions/0034-board-summary.md): the newest live ones of
            # a stage, read in index order (LIMIT 50), not sorted out of every live row.
            models.Index(
                fields=["sales_stage", "-modified", "-name"],
                name="opp_board_cards",
                condition=Q(status__in=["Open", "Replied", "Quotation"]),
            ),
            models.Index(
                fields=[
                    "expected_closing",
                    "status",
                    "sales_stage",
                    "probability",
                    "base_opportunity_amount",
                ],
                # the owner beside them: the forecast and the pipeline by owner, index-only too;
                # and the record rule's columns (RULE_COLUMNS): a sales rep's too
                include=["opportunity_owner", *RULE_COLUMNS],
                name="opp_closing_pipeline",
            ),
            # The funnel's opportunities (reports/queries/funnel.py): those made from a lead in
            # a period, with their lead's creation (the copy and the lead it is of: the median
            # days from the index alone); only what came from a lead.
            models.Index(
                fields=["creation"],
                include=[
                    "lead",
                    "lead_creation",
                    "lead_creation_of",
                    "opportunity_owner",
                    *RULE_COLUMNS,
                ],
                condition=Q(opportunity_from="Lead"),
                name="opp_from_lead_creation",
            ),
            # the sales users' record rule (contact_by) and the auto-close job (Replied only)
            models.Index(
                fields=["contact_by", "contact_date"],
                name="opp_next_contact",
                condition=Q(contact_by__isnull=False),
            ),
            models.Index(fields=["replied_on"], name="opp_replied", condition=Q(status="Replied")),
            # The lost-opportunities report (reports/queries/lost.py): the lost ones of a period
            # by the day they were last changed, read from the index alone on PostgreSQL
            # (docs/performance.md, "Reports"); small: only the lost rows.
            models.Index(
                fields=["modified"],
                include=[
                    "base_opportunity_amount",
                    "opportunity_owner",
                    "territory",
                    *RULE_COLUMNS,
                ],
                condition=Q(status="Lost"),
                name="opp_lost_modified",
            ),
            # The first-response report (reports/queries/first_response.py): the answered
            # opportunities of a period, their minutes and owner, from the index alone.
            models.Index(
                fields=["creation"],
                include=[
                    "mins_to_first_response",
                    "business_mins_to_first_response",
                    "opportunity_owner",
                    *RULE_COLUMNS,
                ],
                condition=Q(mins_to_first_response__gt=0),
                name="opp_first_response",
            ),
            # the party's opportunities (its page, its status, its deletion check); each row is
            # in one of the two, and only the rows with a next contact in opp_next_contact
            models.Index(fields=["lead"], name="opp_lead", condition=Q(lead__isnull=False)),
            models.Index(
                fields=["customer"], name="opp_customer", condition=Q(customer__isnull=False)
            ),
            # the Open ones still waiting for a first response (crm.awaiting_response): small
            models.Index(
                fields=["creation"],
                condition=Q(status="Open", first_responded_on__isnull=True),
                name="opp_awaiting_response",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        opportunity_from="Lead",
                        lead__isnull=False,
                        customer__isnull=True,
                        party_name=F("lead"),
                    )
                    | Q(
                        opportunity_from="Customer",
                        customer__isnull=False,
                        lead__isnull=True,
                        party_name=F("customer"),
                    )
                ),
                name="opportunity_party_matches_from",
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="opportunity_probability_0_100",
            ),
            models.CheckConstraint(
                condition=Q(opportunity_amount__gte=0, base_opportunity_amount__gte=0),
                name="opportunity_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(conversion_rate__gt=0), name="opportunity_conversion_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.title}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields is not None and not {"lead", "lead_id"}.isdisjoint(fields):
            kwargs["update_fields"] = {*fields, "lead_creation", "lead_creation_of"}
        super().save(*args, **kwargs)

    def keep_derived(self) -> None:
        """Copy the lead's creation when the lead is not the one copied from (no query when the
        lead object is at hand, as the services have it)."""
        if self.lead_id is None:
            self.lead_creation = self.lead_creation_of = None
            return
        if self.lead_creation_of == self.lead_id and self.lead_creation is not None:
            return
        creation: datetime | None
        cached = type(self).lead.is_cached(self)
        if cached and self.lead is not None and self.lead.pk == self.lead_id:
            creation = self.lead.creation
        else:
            creation = (
                Lead.objects.filter(pk=self.lead_id).values_list("creation", flat=True).first()
            )
        self.lead_creation, self.lead_creation_of = creation, self.lead_id

    # What the opportunity page offers and the services allow, from one place.
    def can_close(self) -> bool:
        return self.Status.CLOSED in self.MANUAL_TRANSITIONS[self.status]

    def can_reopen(self) -> bool:
        return self.status in (self.Status.LOST, self.Status.CLOSED)

    def can_declare_lost(self) -> bool:
        return self.status != self.Status.CONVERTED

    @property
    def party(self) -> Lead | Customer | None:  # None only before a party is set
        return self.lead if self.opportunity_from == self.From.LEAD else self.customer


class OpportunityItem(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="items")
    idx = models.PositiveSmallIntegerField(default=1)
    item_code = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    item_name = models.CharField(max_length=140, blank=True)
    description = models.TextField(blank=True)
    item_group = models.ForeignKey(
        ItemGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    brand = models.CharField(max_length=140, blank=True)
    qty = models.DecimalField(**QTY, default=Decimal(1))
    uom = models.ForeignKey(UOM, on_delete=models.PROTECT, related_name="+")
    rate = models.DecimalField(**MONEY, default=Decimal(0))
    amount = models.DecimalField(**MONEY, default=Decimal(0))
    base_rate = models.DecimalField(**MONEY, default=Decimal(0))
    base_amount = models.DecimalField(**MONEY, default=Decimal(0))

    class Meta:
        ordering = ["opportunity", "idx"]
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="opportunity_item_qty_positive"),
            models.CheckConstraint(
                condition=Q(rate__gte=0, amount__gte=0), name="opportunity_item_rate_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idx}. {self.item_code_id} x {self.qty}"


class StageTotal(models.Model):
    """The board's per-(stage, status) figures, kept exactly without a hot row
    (docs/decisions/0034-board-summary.md).

    Append-only deltas: a database trigger on ``crm_opportunity`` (migration 0020, PostgreSQL and
    SQLite) inserts, in the transaction of the write, +1 row of the new key and -1 row of the old
    one whenever a row is inserted, deleted, or changes status, stage, base amount or
    probability, whichever code path wrote it (services, bulk updates, imports, merges, raw
    SQL). Nothing is ever updated in place, so concurrent writes never wait on each other here.
    Readers SUM by key (stage_totals below); ``compact_stage_totals`` folds the deltas into one
    row per key now and then. Amounts are in company currency (``base_opportunity_amount``);
    ``weighted`` is amount x probability / 100, exact (8 decimals)."""

    id = models.BigAutoField(primary_key=True)
    # no foreign key: a stage's deltas may sum to nothing and must not hold the stage
    sales_stage = models.CharField(max_length=140, null=True, blank=True)
    status = models.CharField(max_length=10)
    count = models.BigIntegerField()
    amount = models.DecimalField(max_digits=32, decimal_places=4)
    weighted = models.DecimalField(max_digits=34, decimal_places=8)

    class Meta:
        verbose_name = "board stage total"

    def __str__(self) -> str:
        return f"{self.sales_stage or '-'} / {self.status}: {self.count:+d}"


# Tables whose rows each process keeps (core.master_cache): every write's checks read them. Their
# triggers are added by a migration (0024): a table added here needs one too.
KEPT_TABLES: dict[str, tuple[str, ...]] = dict.fromkeys(
    (
        "crm_opportunitytype",
        "crm_leadsource",
        "crm_campaign",
        "crm_salesstage",
        "crm_opportunitylostreason",
        "crm_competitor",
        "crm_crmsettings",
    ),
    (),
)
