"""Admin of the masters. Writes here bypass the API's services, which is fine for masters (no
version, no side effects); a master still in use cannot be deleted, as through the API."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin, messages

from opportune.masters.models import (
    UOM,
    Currency,
    CurrencyExchange,
    CustomerGroup,
    Industry,
    Item,
    ItemGroup,
    Territory,
)
from opportune.masters.services import master_references


class MasterAdmin(admin.ModelAdmin):
    """Shared by every master (CRM masters too): the name is fixed once created (it is the key
    other records hold), and a master that records still use is not deleted."""

    search_fields: ClassVar[tuple[str, ...]] = ("name",)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "name") if obj is not None and "name" not in fields else fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and master_references(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        used = [obj.pk for obj in queryset if master_references(obj)]
        if used:
            self.message_user(
                request,
                f"Not deleted, still in use: {', '.join(map(str, used))}.",
                messages.ERROR,
            )
        queryset.exclude(pk__in=used).delete()


@admin.register(Currency)
class CurrencyAdmin(MasterAdmin):
    list_display = ("name", "currency_name", "symbol", "precision", "enabled")
    list_filter = ("enabled", "precision")
    search_fields = ("name", "currency_name")


@admin.register(CurrencyExchange)
class CurrencyExchangeAdmin(MasterAdmin):
    list_display = ("from_currency", "to_currency", "date", "exchange_rate")
    list_filter = ("from_currency", "to_currency")
    date_hierarchy = "date"
    search_fields = ("from_currency__name", "to_currency__name")
    autocomplete_fields = ("from_currency", "to_currency")

    def get_readonly_fields(self, request, obj=None):
        return ()  # addressed by id: every field may change


@admin.register(UOM)
class UOMAdmin(MasterAdmin):
    list_display = ("name", "must_be_whole_number", "enabled")
    list_filter = ("enabled", "must_be_whole_number")


@admin.register(Item)
class ItemAdmin(MasterAdmin):
    list_display = (
        "name",
        "item_name",
        "item_group",
        "stock_uom",
        "standard_rate",
        "is_sales_item",
        "is_purchase_item",
        "disabled",
    )
    list_filter = ("disabled", "is_sales_item", "is_purchase_item", "item_group")
    search_fields = ("name", "item_name", "description")
    autocomplete_fields = ("item_group", "stock_uom")


@admin.register(Territory)
class TerritoryAdmin(MasterAdmin):
    list_display = ("name", "parent_territory")
    autocomplete_fields = ("parent_territory",)


for _model in (CustomerGroup, Industry, ItemGroup):
    admin.site.register(_model, MasterAdmin)
