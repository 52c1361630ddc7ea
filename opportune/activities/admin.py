"""Events and feed tokens in the admin, to look at: events are made on the calendar, by the
API and from an opportunity's next contact (activities.services); a feed token's secret is
not shown."""

from __future__ import annotations

from django.contrib import admin

from opportune.activities.models import Activity, ActivityType, CalendarFeedToken, Event
from opportune.core.admin import ViewOnlyAdmin
from opportune.masters.admin import MasterAdmin


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    list_display = ("subject", "owner", "starts_on", "reference_doctype", "reference_name")
    list_filter = ("source", "starts_on")
    search_fields = ("subject", "reference_name", "owner__username")
    list_select_related = ("owner",)
    exclude = ("uid",)


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(ViewOnlyAdmin):
    """Deleting a token here revokes the user's feed (a new one is made when they ask)."""

    list_display = ("user", "created")
    fields = ("user", "created")
    list_select_related = ("user",)


@admin.register(ActivityType)
class ActivityTypeAdmin(MasterAdmin):
    """Managers add activity types here or through the API (``activity-types``)."""

    list_display = ("name", "icon")


@admin.register(Activity)
class ActivityAdmin(ViewOnlyAdmin):
    """Activities are planned, changed, done and cancelled on the pages and the API (services)."""

    list_display = ("name", "activity_type", "summary", "due_date", "allocated_to", "status")
    list_filter = ("status", "activity_type", "due_date")
    search_fields = ("name", "summary", "reference_name", "allocated_to__username")
    list_select_related = ("activity_type", "allocated_to")
