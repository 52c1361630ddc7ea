"""Admin of what every app shares: comments, naming series counters, worker heartbeats, jobs.

Mostly for looking: comments are written through the services (they appear on timelines);
a naming series counter may be moved forward by hand (e.g. after importing old documents);
heartbeats are written by the workers alone; jobs are written by the ledger (core.jobs), and a
failed one is retried (or deleted) here; the schedule (core.schedule) is shown: each periodic
job, its cron and time zone, its last slot with its job's state, and its next slot.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from opportune.core.jobs import retry_failed_jobs
from opportune.core.models import (
    Comment,
    DeletedDocument,
    Heartbeat,
    ImportJob,
    ImportRow,
    Job,
    NamingSeries,
    SavedView,
    ScheduleState,
    SearchEntry,
)
from opportune.core.schedule import schedule_overview


class ViewOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """For what the services write (their checks run there): looked at here, never added or
    changed; deleted only where the subclass allows it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """An admin whose history pages only show: the audit trail is never edited, and a past
    version is never written back ("revert") around the services."""

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only.")
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    list_display = ("reference_doctype", "reference_name", "comment_type", "owner", "creation")
    list_filter = ("comment_type", "reference_doctype")
    search_fields = ("reference_name", "content", "owner__username")
    date_hierarchy = "creation"
    readonly_fields = (
        "reference_doctype",
        "reference_name",
        "comment_type",
        "content",
        "owner",
        "creation",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(NamingSeries)
class NamingSeriesAdmin(admin.ModelAdmin[NamingSeries]):
    list_display = ("prefix", "current")
    search_fields = ("prefix",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: NamingSeries | None = None
    ) -> tuple[str, ...]:
        return ("prefix",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: NamingSeries | None = None) -> bool:
        return False  # a deleted counter would hand out names again

    def save_model(self, request: HttpRequest, obj: NamingSeries, form: Any, change: bool) -> None:
        """A counter set by hand moves the series on (its sequence too, on PostgreSQL); it
        never goes back below a name handed out."""
        super().save_model(request, obj, form, change)
        NamingSeries.move_past(obj.prefix, obj.current)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin[Heartbeat]):
    list_display = ("worker", "beat_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Saved views of the lists (core.saved_views): the users keep them on the lists' pages."""

    list_display = ("label", "resource", "user", "shared", "is_default", "modified")
    list_filter = ("resource", "shared")
    search_fields = ("label", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(SearchEntry)
class SearchEntryAdmin(ViewOnlyAdmin):
    """The text search's table (core.search): written by the documents' saves, rebuilt by
    ``manage.py rebuild_search_index``; looked at here."""

    list_display = ("doctype", "name")
    list_filter = ("doctype",)
    search_fields = ("name",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeletedDocument)
class DeletedDocumentAdmin(admin.ModelAdmin[DeletedDocument]):
    """For looking only: restoring goes through the service (the Deleted Documents page)."""

    list_display = ("doctype", "name", "deleted_by", "deleted_at", "door", "restored")
    list_filter = ("doctype", "door", "restored")
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ("id", "name", "status", "attempts", "created", "run_after", "finished")
    list_filter = ("status", "name")
    search_fields = ("name", "key", "last_error")
    date_hierarchy = "created"
    readonly_fields = tuple(f.name for f in Job._meta.get_fields())
    actions = ("retry",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_job")

    @admin.action(description="Retry the selected failed jobs", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        count = retry_failed_jobs(queryset.values_list("pk", flat=True))
        messages.info(request, f"{count} failed job(s) will run again.")


@admin.register(ScheduleState)
class ScheduleAdmin(admin.ModelAdmin[ScheduleState]):
    """The schedule, read-only: every declared periodic job (also one no worker has seen yet),
    not just the rows of ScheduleState."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = schedule_overview()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Schedule",
            "rows": rows,
            "zone": rows[0].time_zone if rows else "UTC",
        }
        return TemplateResponse(request, "admin/core/schedule.html", context)


@admin.register(ImportJob)
class ImportJobAdmin(ViewOnlyAdmin):
    """Imports (core.imports, decision 0030): looked at, deleted (with their outcomes)."""

    list_display = ("pk", "user", "doctype", "filename", "status", "total", "succeeded", "failed")
    list_filter = ("status", "doctype")
    exclude = ("rows",)


@admin.register(ImportRow)
class ImportRowAdmin(ViewOnlyAdmin):
    """Each document's outcome of an import."""

    list_display = ("job", "row", "outcome", "name")
    list_filter = ("outcome",)
