"""The abstract base of every priced, submittable document (quotation, sales order, supplier
quotation): docstatus, currency and conversion rate, one tax rate and ERPNext's totals in both
currencies, and the item row they all share.

The masters are referred to by their app label ("masters.Currency"), so the base needs no import
of an app above core; the concrete documents live in their own apps (selling, buying).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.db import models
from django.db.models import Q

from opportune.core.docstatus import DocStatus
from opportune.core.models import Document


class Digits(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: Digits = {"max_digits": 20, "decimal_places": 4}
QTY: Digits = {"max_digits": 18, "decimal_places": 6}
RATE: Digits = {"max_digits": 18, "decimal_places": 9}


class Transaction(Document):
    """Header fields every priced document shares (quotation, order, supplier quotation)."""

    docstatus = models.PositiveSmallIntegerField(choices=DocStatus.choices, default=0)
    transaction_date = models.DateField()
    currency = models.ForeignKey("masters.Currency", on_delete=models.PROTECT, related_name="+")
    conversion_rate = models.DecimalField(**RATE, default=Decimal(1))
    tax_rate = models.DecimalField(
        "tax rate (%)", max_digits=6, decimal_places=3, default=Decimal(0)
    )
    total = models.DecimalField(**MONEY, default=Decimal(0))
    base_total = models.DecimalField(**MONEY, default=Decimal(0))
    net_total = models.DecimalField(**MONEY, default=Decimal(0))
    base_net_total = models.DecimalField(**MONEY, default=Decimal(0))
    total_taxes_and_charges = models.DecimalField(**MONEY, default=Decimal(0))
    base_total_taxes_and_charges = models.DecimalField(**MONEY, default=Decimal(0))
    grand_total = models.DecimalField(**MONEY, default=Decimal(0))
    base_grand_total = models.DecimalField(**MONEY, default=Decimal(0))
    terms = models.TextField("terms and conditions", blank=True)

    class Meta:
        abstract = True

    @property
    def is_draft(self) -> bool:
        return self.docstatus == DocStatus.DRAFT


def transaction_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(docstatus__lte=2), name=f"{prefix}_docstatus_0_2"),
        models.CheckConstraint(
            condition=Q(conversion_rate__gt=0), name=f"{prefix}_conversion_rate_positive"
        ),
        models.CheckConstraint(
            condition=Q(tax_rate__gte=0, tax_rate__lte=100), name=f"{prefix}_tax_rate_0_100"
        ),
        models.CheckConstraint(
            condition=Q(total__gte=0, grand_total__gte=0), name=f"{prefix}_totals_not_negative"
        ),
    ]


class TransactionItem(models.Model):
    """An item row: what, how many, at what price, in the document's and the company's money."""

    idx = models.PositiveSmallIntegerField(default=1)
    item_code = models.ForeignKey("masters.Item", on_delete=models.PROTECT, related_name="+")
    item_name = models.CharField(max_length=140, blank=True)
    description = models.TextField(blank=True)
    qty = models.DecimalField(**QTY, default=Decimal(1))
    uom = models.ForeignKey("masters.UOM", on_delete=models.PROTECT, related_name="+")
    stock_uom = models.ForeignKey("masters.UOM", on_delete=models.PROTECT, related_name="+")
    rate = models.DecimalField(**MONEY, default=Decimal(0))
    amount = models.DecimalField(**MONEY, default=Decimal(0))
    base_rate = models.DecimalField(**MONEY, default=Decimal(0))
    base_amount = models.DecimalField(**MONEY, default=Decimal(0))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.idx}. {self.item_code_id} x {self.qty}"


def item_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(qty__gt=0), name=f"{prefix}_qty_positive"),
        models.CheckConstraint(
            condition=Q(rate__gte=0, amount__gte=0), name=f"{prefix}_rate_not_negative"
        ),
    ]
