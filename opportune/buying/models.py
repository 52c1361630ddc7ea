"""Suppliers, supplier quotations and requests for quotation (ERPNext's buying side of an
opportunity: asking suppliers what the opportunity's items would cost)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from opportune.core.docstatus import DocStatus
from opportune.core.models import HISTORY_EXCLUDED, Document, audited_history
from opportune.core.transactions import (
    QTY,
    Transaction,
    TransactionItem,
    item_constraints,
    transaction_constraints,
)
from opportune.crm.models import Opportunity
from opportune.masters.models import UOM, Currency, Item


class SupplierGroup(models.Model):
    name = models.CharField(max_length=140, primary_key=True)

    history = audited_history()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(Document):
    """A supplier, named by its name as in ERPNext (a clash gets ' - 2')."""

    doctype = "Supplier"
    search_fields = ("name", "supplier_name", "email_id", "phone")

    supplier_name = models.CharField(max_length=140, db_index=True)
    supplier_group = models.ForeignKey(
        SupplierGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="suppliers"
    )
    country = models.CharField(max_length=100, blank=True)
    default_currency = models.ForeignKey(
        Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    email_id = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=200, blank=True)
    disabled = models.BooleanField(default=False)

    history = audited_history(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["supplier_name"]


class SupplierQuotation(Transaction):
    naming_series = "PUR-SQTN-.YYYY.-"
    doctype = "Supplier Quotation"

    class Status(models.TextChoices):
        DRAFT = "Draft"
        SUBMITTED = "Submitted"
        EXPIRED = "Expired"
        CANCELLED = "Cancelled"

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="supplier_quotations"
    )
    supplier_name = models.CharField(max_length=140, blank=True)
    valid_till = models.DateField(null=True, blank=True)
    opportunity = models.ForeignKey(
        Opportunity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplier_quotations",
    )
    request_for_quotation = models.ForeignKey(
        "RequestForQuotation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplier_quotations",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    # who changed what and when, shown on the timeline (field by field)
    history = audited_history(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["-modified", "-name"]
        indexes = [
            models.Index(fields=["-modified", "-name"], name="sq_modified_name"),
            models.Index(fields=["status", "-modified"], name="sq_status_modified"),
            models.Index(fields=["opportunity", "docstatus"], name="sq_opportunity"),
            models.Index(fields=["status", "valid_till"], name="sq_status_valid_till"),
        ]
        constraints = [
            *transaction_constraints("supplier_quotation"),
            models.CheckConstraint(
                condition=(
                    Q(docstatus=0, status="Draft")
                    | Q(docstatus=2, status="Cancelled")
                    | Q(docstatus=1, status__in=["Submitted", "Expired"])
                ),
                name="supplier_quotation_status_matches_docstatus",
            ),
            # one live answer per supplier to a request for quotation (a cancelled one may be
            # answered again); the service's own check is only the friendly message
            models.UniqueConstraint(
                fields=["request_for_quotation", "supplier"],
                condition=Q(request_for_quotation__isnull=False, docstatus__lt=2),
                name="supplier_quotation_one_per_rfq_supplier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.supplier_name}".strip()


class SupplierQuotationItem(TransactionItem):
    supplier_quotation = models.ForeignKey(
        SupplierQuotation, on_delete=models.CASCADE, related_name="items"
    )
    prevdoc_doctype = models.CharField(max_length=20, blank=True)
    prevdoc_docname = models.CharField(max_length=140, blank=True, db_index=True)
    request_for_quotation_item = models.ForeignKey(
        "RequestForQuotationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["supplier_quotation", "idx"]
        constraints = item_constraints("supplier_quotation_item")


class RequestForQuotation(Document):
    naming_series = "PUR-RFQ-.YYYY.-"
    doctype = "Request for Quotation"

    class Status(models.TextChoices):
        DRAFT = "Draft"
        SUBMITTED = "Submitted"
        CANCELLED = "Cancelled"

    docstatus = models.PositiveSmallIntegerField(choices=DocStatus.choices, default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    transaction_date = models.DateField()
    opportunity = models.ForeignKey(
        Opportunity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests_for_quotation",
    )
    message_for_supplier = models.TextField(blank=True)

    # who changed what and when, shown on the timeline (field by field)
    history = audited_history(excluded_fields=HISTORY_EXCLUDED)

    class Meta:
        ordering = ["-modified", "-name"]
        verbose_name = "request for quotation"
        verbose_name_plural = "requests for quotation"
        indexes = [
            models.Index(fields=["-modified", "-name"], name="rfq_modified_name"),
            models.Index(fields=["opportunity"], name="rfq_opportunity"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(docstatus=0, status="Draft")
                    | Q(docstatus=1, status="Submitted")
                    | Q(docstatus=2, status="Cancelled")
                ),
                name="rfq_status_matches_docstatus",
            ),
        ]

    @property
    def is_draft(self) -> bool:
        return self.docstatus == DocStatus.DRAFT


class RequestForQuotationSupplier(models.Model):
    class QuoteStatus(models.TextChoices):
        PENDING = "Pending"
        RECEIVED = "Received"

    request_for_quotation = models.ForeignKey(
        RequestForQuotation, on_delete=models.CASCADE, related_name="suppliers"
    )
    idx = models.PositiveSmallIntegerField(default=1)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    supplier_name = models.CharField(max_length=140, blank=True)
    email_id = models.EmailField(blank=True)
    quote_status = models.CharField(
        max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.PENDING
    )

    class Meta:
        ordering = ["request_for_quotation", "idx"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_for_quotation", "supplier"], name="rfq_supplier_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_for_quotation_id}: {self.supplier_id}"


class RequestForQuotationItem(models.Model):
    request_for_quotation = models.ForeignKey(
        RequestForQuotation, on_delete=models.CASCADE, related_name="items"
    )
    idx = models.PositiveSmallIntegerField(default=1)
    item_code = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    item_name = models.CharField(max_length=140, blank=True)
    description = models.TextField(blank=True)
    qty = models.DecimalField(**QTY, default=Decimal(1))
    uom = models.ForeignKey(UOM, on_delete=models.PROTECT, related_name="+")
    stock_uom = models.ForeignKey(UOM, on_delete=models.PROTECT, related_name="+")
    conversion_factor = models.DecimalField(**QTY, default=Decimal(1))
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The opportunity's item row it was made from (a plain id: opportunity rows are replaced
    # when the opportunity is edited, and that must not be blocked or cascade here).
    opportunity_item = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["request_for_quotation", "idx"]
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="rfq_item_qty_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.idx}. {self.item_code_id} x {self.qty}"
