from django.urls import path

from opportune.core import views

urlpatterns = [path("", views.home, name="home")]
