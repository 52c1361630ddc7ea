from django.contrib import admin

from opportune.core.admin import ViewOnlyAdmin
from opportune.reports.models import SalesTarget


@admin.register(SalesTarget)
class SalesTargetAdmin(ViewOnlyAdmin):
    """Targets are set on the targets page or through the API (managers); looked at here."""

    list_display = ("month", "user", "amount", "modified", "modified_by")
    list_filter = ("month",)
    search_fields = ("user__username",)
