"""Admin of API tokens: who has which token, when it was last used, and revoking it.

Tokens are issued on the profile page, by ``POST /api/v1/tokens`` or ``create_api_token``
(the secret is shown once there); the admin never shows the stored hash.
"""

from __future__ import annotations

from django.contrib import admin

from opportune.accounts.models import ApiToken, Profile


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("hint", "user", "label", "created", "last_used", "expires")
    list_filter = ("created", "last_used", "expires")
    search_fields = ("user__username", "label", "hint")
    fields = ("user", "label", "hint", "created", "last_used", "expires")
    readonly_fields = ("user", "hint", "created", "last_used", "expires")
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """A user's own settings (their time zone): set on the profile page, seen here."""

    list_display = ("user", "time_zone")
    search_fields = ("user__username",)
    list_select_related = ("user",)
