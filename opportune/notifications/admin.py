"""Admin of notifications: read-only (they are written by notify, read by their user)."""

from __future__ import annotations

from django.contrib import admin

from opportune.core.admin import ViewOnlyAdmin
from opportune.notifications.models import Notification, NotificationSetting


@admin.register(Notification)
class NotificationAdmin(ViewOnlyAdmin):
    list_display = ("creation", "user", "kind", "subject", "read", "email_pending", "emailed_at")
    list_filter = ("kind", "read", "email_pending")
    search_fields = ("subject", "user__username", "reference_name", "key")
    raw_id_fields = ("user",)


@admin.register(NotificationSetting)
class NotificationSettingAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email")
    list_filter = ("kind", "email")
    search_fields = ("user__username",)
