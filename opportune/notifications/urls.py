from django.urls import path

from opportune.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.notifications_read_all, name="read_all"),
    path("settings/", views.email_settings, name="settings"),
    path("<int:id>/open/", views.notification_open, name="open"),
    path("<int:id>/read/", views.notification_read, name="read"),
]
