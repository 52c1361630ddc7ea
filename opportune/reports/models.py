"""What the reports keep of their own: the sales targets managers set per owner and month."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SalesTarget(models.Model):
    """The amount (company currency) a sales user is expected to win in one month; the
    forecast report sets what was won beside it (attainment)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    amount = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    version = models.PositiveIntegerField(default=1)
    modified = models.DateTimeField(default=timezone.now)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["month", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="sales_target_user_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}: {self.amount}"
