"""Admin of notifications: read-only (they are written by notify, read by their user)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from opportune.notifications.models import Notification, NotificationSetting


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("creation", "user", "kind", "subject", "read", "emailed_at")
    list_filter = ("kind", "read")
    search_fields = ("subject", "user__username", "reference_name", "key")
    raw_id_fields = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(NotificationSetting)
class NotificationSettingAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email")
    list_filter = ("kind", "email")
    search_fields = ("user__username",)
