"""Quotations and sales orders: transactions (``core.transactions``) to a lead or customer.

Quotations keep both links to the opportunity they came from: the header ``opportunity`` and the
rows' ``prevdoc_docname``.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from opportune.core.docstatus import DocStatus
from opportune.core.models import HISTORY_EXCLUDED, audited_history
from opportune.core.transactions import (
    Transaction,
    TransactionItem,
    item_constraints,
    transaction_constraints,
)
from opportune.crm.models import (
    Campaign,
    Competitor,
    Contact,
    Customer,
    Lead,
    LeadSource,
    Opportunity,
    OpportunityLostReason,
)
from opportune.masters.models import CustomerGroup, Territory


# --- quotation ---------------------------------------------------------------------------------
class Quotation(Transaction):
    naming_series = "SAL-QTN-.YYYY.-"
    doctype = "Quotation"
    search_fields = (
        "name",
        "title",
        "party_name",
        "customer_name",
        "contact_email",
        "contact_mobile",
    )

    class To(models.TextChoices):
        LEAD = "Lead"
        CUSTOMER = "Customer"

    class Status(models.TextChoices):
        DRAFT = "Draft"
        OPEN = "Open"
        EXPIRED = "Expired"
        PARTIALLY_ORDERED = "Partially Ordered"
        ORDERED = "Ordered"
        LOST = "Lost"
        CANCELLED = "Cancelled"

    # Submitted quotations in these statuses keep their opportunity at "Quotation"; expired,
    # lost and cancelled ones do not (ERPNEXT_BEHAVIOUR.md decision 1).
    ACTIVE_STATUSES = (Status.OPEN, Status.PARTIALLY_ORDERED, Status.ORDERED)
    ORDERED_STATUSES = (Status.PARTIALLY_ORDERED, Status.ORDERED)
    # A sales order can be made from these; a lost one can be declared from these.
    ORDERABLE_STATUSES = (Status.OPEN, Status.PARTIALLY_ORDERED)
    LOSABLE_STATUSES = (Status.OPEN, Status.EXPIRED)

    quotation_to = models.CharField(max_length=10, choices=To.choices)
    party_name = models.CharField(max_length=140, db_index=True)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="quotations"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="quotations"
    )
    customer_name = models.CharField(max_length=140, blank=True)
    title = models.CharField(max_length=140, blank=True)
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.PROTECT, related_name="quotations"
    )
    valid_till = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    contact_person = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_display = models.CharField(max_length=140, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_mobile = models.CharField(max_length=40, blank=True)
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer_group = models.ForeignKey(
        CustomerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(
        LeadSource, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lost_reasons = models.ManyToManyField(OpportunityLostReason, blank=True, related_name="+")
    competitors = models.ManyToManyField(Competitor, blank=True, related_name="+")
    order_lost_reason = models.TextField("detailed lost reason", blank=True)

    # who changed what and when, shown on the timeline (field by field)
    history = audited_history(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["-modified", "-name"]
        indexes = [
            models.Index(fields=["-modified", "-name"], name="qtn_modified_name"),
            models.Index(fields=["status", "-modified"], name="qtn_status_modified"),
            models.Index(fields=["opportunity", "docstatus", "status"], name="qtn_opportunity"),
            models.Index(fields=["status", "valid_till"], name="qtn_status_valid_till"),
            models.Index(fields=["transaction_date"], name="qtn_transaction_date"),
        ]
        constraints = [
            *transaction_constraints("quotation"),
            models.CheckConstraint(
                condition=(
                    Q(
                        quotation_to="Lead",
                        lead__isnull=False,
                        customer__isnull=True,
                        party_name=F("lead"),
                    )
                    | Q(
                        quotation_to="Customer",
                        customer__isnull=False,
                        lead__isnull=True,
                        party_name=F("customer"),
                    )
                ),
                name="quotation_party_matches_to",
            ),
            models.CheckConstraint(
                condition=(
                    Q(docstatus=0, status="Draft")
                    | Q(docstatus=2, status="Cancelled")
                    | (Q(docstatus=1) & ~Q(status__in=["Draft", "Cancelled"]))
                ),
                name="quotation_status_matches_docstatus",
            ),
        ]

    def why_not_orderable(self, today: date) -> str | None:
        """Why no sales order can be made from this quotation today (None: it can)."""
        if self.docstatus == DocStatus.DRAFT:
            return "it is a draft: submit it first"
        if self.status == self.Status.EXPIRED or (
            self.valid_till and self.valid_till < today and self.status not in self.ORDERED_STATUSES
        ):
            return f"its validity ended on {self.valid_till}"
        if self.status not in self.ORDERABLE_STATUSES:
            return f"it is {self.status}"
        return None

    @property
    def can_make_sales_order(self) -> bool:
        return self.why_not_orderable(timezone.localdate()) is None

    @property
    def can_declare_lost(self) -> bool:
        return self.docstatus == DocStatus.SUBMITTED and self.status in self.LOSABLE_STATUSES

    def __str__(self) -> str:
        return f"{self.name} {self.customer_name}".strip()


class QuotationItem(TransactionItem):
    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="items")
    prevdoc_doctype = models.CharField(max_length=20, blank=True)
    prevdoc_docname = models.CharField(max_length=140, blank=True, db_index=True)

    class Meta:
        ordering = ["quotation", "idx"]
        constraints = item_constraints("quotation_item")


# --- sales order -------------------------------------------------------------------------------
class SalesOrder(Transaction):
    naming_series = "SAL-ORD-.YYYY.-"
    doctype = "Sales Order"

    class Status(models.TextChoices):
        DRAFT = "Draft"
        TO_DELIVER_AND_BILL = "To Deliver and Bill"
        CANCELLED = "Cancelled"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="sales_orders")
    customer_name = models.CharField(max_length=140, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    quotation = models.ForeignKey(
        Quotation, null=True, blank=True, on_delete=models.PROTECT, related_name="sales_orders"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.PROTECT, related_name="sales_orders"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    contact_person = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_email = models.EmailField(blank=True)
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer_group = models.ForeignKey(
        CustomerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(
        LeadSource, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # who changed what and when, shown on the timeline (field by field)
    history = audited_history(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["-modified", "-name"]
        indexes = [
            models.Index(fields=["-modified", "-name"], name="so_modified_name"),
            models.Index(fields=["status", "-modified"], name="so_status_modified"),
            models.Index(fields=["quotation", "docstatus"], name="so_quotation"),
            models.Index(fields=["opportunity"], name="so_opportunity"),
        ]
        constraints = transaction_constraints("sales_order")

    def __str__(self) -> str:
        return f"{self.name} {self.customer_name}".strip()


class SalesOrderItem(TransactionItem):
    sales_order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="items")
    quotation_item = models.ForeignKey(
        QuotationItem, null=True, blank=True, on_delete=models.PROTECT, related_name="order_rows"
    )
    prevdoc_docname = models.CharField(
        max_length=140, blank=True, db_index=True, help_text="the quotation it came from"
    )

    class Meta:
        ordering = ["sales_order", "idx"]
        constraints = item_constraints("sales_order_item")
