from django.urls import path

from opportune.automation import views

app_name = "automation"

urlpatterns = [
    path("assignment-rules/", views.rule_list, name="rule_list"),
    path("assignment-rules/new/", views.rule_form, name="rule_create"),
    path("assignment-rules/dry-run/", views.dry_run, name="dry_run"),
    path("assignment-rules/<str:name>/edit/", views.rule_form, name="rule_edit"),
    path("assignment-rules/<str:name>/delete/", views.rule_delete, name="rule_delete"),
    path("assignments/new/", views.assignment_create, name="assignment_create"),
    path("assignments/<int:id>/close/", views.assignment_close, name="assignment_close"),
    path("assignments/<int:id>/cancel/", views.assignment_cancel, name="assignment_cancel"),
]
