from django.contrib import admin

from opportune.core.admin import ViewOnlyAdmin
from opportune.reports.models import PipelineSnapshot, PipelineSnapshotDay, SalesTarget


@admin.register(SalesTarget)
class SalesTargetAdmin(ViewOnlyAdmin):
    """Targets are set on the targets page or through the API (managers); looked at here."""

    list_display = ("month", "user", "amount", "modified", "modified_by")
    list_filter = ("month",)
    search_fields = ("user__username",)


@admin.register(PipelineSnapshotDay)
class PipelineSnapshotDayAdmin(ViewOnlyAdmin):
    """The days whose pipeline is kept (decision 0032): built by the nightly job or the
    backfill command, looked at here."""

    list_display = ("date", "rows", "built")
    date_hierarchy = "date"


@admin.register(PipelineSnapshot)
class PipelineSnapshotAdmin(ViewOnlyAdmin):
    """The open opportunities of each kept day, as they stood at its end."""

    list_display = ("date", "name", "status", "sales_stage_id", "base_opportunity_amount")
    list_filter = ("date",)
    search_fields = ("=name",)
    show_full_result_count = False
