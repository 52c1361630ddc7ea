"""The assignment rules and assignments in the admin, to look at: they are made and changed on
their pages and through the API (automation.services), where the rules' checks run."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from opportune.automation.models import Assignment, AssignmentRule, AssignmentRuleUser
from opportune.core.admin import ViewOnlyAdmin


class ReadOnlyAdmin(ViewOnlyAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AssignmentRuleUserInline(admin.TabularInline):
    model = AssignmentRuleUser
    fields = ("idx", "user")
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ReadOnlyAdmin):
    list_display = ("name", "document_type", "priority", "disabled", "rule", "last_user")
    list_filter = ("document_type", "rule", "disabled")
    search_fields = ("name", "description")
    inlines = [AssignmentRuleUserInline]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = (
        "reference_type",
        "reference_name",
        "allocated_to",
        "status",
        "assignment_rule",
        "creation",
    )
    list_filter = ("status", "reference_type")
    search_fields = ("reference_name", "allocated_to__username", "assignment_rule")
    list_select_related = ("allocated_to",)
