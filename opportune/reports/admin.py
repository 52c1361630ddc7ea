from django.contrib import admin

from opportune.core.admin import ViewOnlyAdmin
from opportune.reports.models import (
    PipelineSnapshotDay,
    PipelineState,
    SalesTarget,
    WinModel,
    WinPrediction,
)


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


@admin.register(PipelineState)
class PipelineStateAdmin(ViewOnlyAdmin):
    """The open opportunities' states over the kept days, each within one month."""

    list_display = ("name", "valid_from", "valid_to", "status", "sales_stage_id")
    list_filter = ("month",)
    search_fields = ("=name",)
    show_full_result_count = False


@admin.register(WinModel)
class WinModelAdmin(ViewOnlyAdmin):
    """The trainings of the win-probability model (the weekly job makes them; decision 0033)."""

    list_display = ("trained_at", "n_closed", "n_held_out", "brier", "scored_at")
    exclude = ("encoding",)  # coefficients: read on the report page's numbers, not here


@admin.register(WinPrediction)
class WinPredictionAdmin(ViewOnlyAdmin):
    """The model's win probability of each open opportunity (beside the user's own)."""

    list_display = ("opportunity", "win_probability", "scored_at", "model")
    list_select_related = ("model",)
    search_fields = ("opportunity__name",)
    raw_id_fields = ("opportunity", "model")
