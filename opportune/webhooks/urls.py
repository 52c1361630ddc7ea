from django.urls import path

from opportune.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="retry"),
    path("webhooks/<str:name>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<str:name>/<slug:action>/", views.webhook_action, name="webhook_action"),
]
