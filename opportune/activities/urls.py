from django.urls import path

from opportune.activities import activity_views, views

app_name = "activities"

urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("events/<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:event_id>/delete/", views.event_delete, name="event_delete"),
    path("events/<int:event_id>.ics", views.event_ics, name="event_ics"),
    path("feed/", views.feed_page, name="feed"),
    path("feed/regenerate/", views.feed_regenerate, name="feed_regenerate"),
    path("activities/", activity_views.activity_list, name="activity_list"),
    path("activities/plan/", activity_views.plan_activity, name="activity_plan"),
    path("activities/<str:name>/done/", activity_views.activity_done, name="activity_done"),
    path("activities/<str:name>/cancel/", activity_views.activity_cancel, name="activity_cancel"),
]
