"""Admin of what every app shares: comments, naming series counters, worker heartbeats.

Mostly for looking: comments are written through the services (they appear on timelines);
a naming series counter may be moved forward by hand (e.g. after importing old documents);
heartbeats are written by the workers alone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from opportune.core.models import Comment, Heartbeat, NamingSeries


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


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin[Heartbeat]):
    list_display = ("worker", "beat_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
