"""Events and feed tokens in the admin, to look at: events are made on the calendar, by the
API and from an opportunity's next contact (activities.services); a feed token's secret is
not shown."""

from __future__ import annotations

from django.contrib import admin

from opportune.activities.models import CalendarFeedToken, Event
from opportune.core.admin import ViewOnlyAdmin


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
