"""Masters shared by several apps: currency and exchange rates, UOM, item, territory, groups."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from opportune.core.models import audited_history


class Currency(models.Model):
    """An ISO 4217 currency; ``precision`` is its number of minor-unit digits (JPY 0, KWD 3)."""

    name = models.CharField("code", max_length=3, primary_key=True)
    currency_name = models.CharField(max_length=100)
    symbol = models.CharField(max_length=10, blank=True)
    precision = models.PositiveSmallIntegerField(default=2)
    enabled = models.BooleanField(default=True)

    history = audited_history()

    class Meta:
        verbose_name_plural = "currencies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(precision__lte=4), name="currency_precision_max_4")
        ]

    def __str__(self) -> str:
        return self.name


class CurrencyExchange(models.Model):
    """One unit of ``from_currency`` is worth ``exchange_rate`` of ``to_currency`` from ``date``."""

    from_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    to_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=9)

    history = audited_history()

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_currency", "to_currency", "date"], name="currency_exchange_unique_day"
            ),
            models.CheckConstraint(
                condition=Q(exchange_rate__gt=0), name="currency_exchange_rate_positive"
            ),
            models.CheckConstraint(
                condition=~Q(from_currency=models.F("to_currency")),
                name="currency_exchange_distinct_currencies",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_currency}->{self.to_currency} {self.date}: {self.exchange_rate}"


class UOM(models.Model):
    name = models.CharField(max_length=60, primary_key=True)
    must_be_whole_number = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)

    history = audited_history()

    class Meta:
        verbose_name = "UOM"
        verbose_name_plural = "UOMs"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class _NamedMaster(models.Model):
    name = models.CharField(max_length=140, primary_key=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Territory(_NamedMaster):
    parent_territory = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    history = audited_history()

    class Meta(_NamedMaster.Meta):
        verbose_name_plural = "territories"


class CustomerGroup(_NamedMaster):
    history = audited_history()


class Industry(_NamedMaster):
    history = audited_history()

    class Meta(_NamedMaster.Meta):
        verbose_name_plural = "industries"


class ItemGroup(_NamedMaster):
    history = audited_history()


class Item(models.Model):
    """Something the company sells or buys. ``name`` is the item code."""

    name = models.CharField("item code", max_length=140, primary_key=True)
    item_name = models.CharField(max_length=140)
    description = models.TextField(blank=True)
    item_group = models.ForeignKey(
        ItemGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    brand = models.CharField(max_length=140, blank=True)
    stock_uom = models.ForeignKey(UOM, on_delete=models.PROTECT, related_name="+", default="Nos")
    standard_rate = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    is_sales_item = models.BooleanField(default=True)
    is_purchase_item = models.BooleanField(default=True)
    disabled = models.BooleanField(default=False)

    history = audited_history()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["item_name"])]
        constraints = [
            models.CheckConstraint(condition=Q(standard_rate__gte=0), name="item_rate_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.item_name}" if self.item_name != self.name else self.name


# Tables whose rows each process keeps (core.master_cache): every write's checks read them. Their
# triggers are added by a migration (0004): a table added here needs one too.
KEPT_TABLES: dict[str, tuple[str, ...]] = dict.fromkeys(
    (
        "masters_currency",
        "masters_currencyexchange",
        "masters_uom",
        "masters_territory",
        "masters_customergroup",
        "masters_industry",
        "masters_itemgroup",
        "masters_item",
    ),
    (),
)
