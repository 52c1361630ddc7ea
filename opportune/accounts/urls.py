from django.urls import path

from opportune.accounts import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/time-zone/", views.set_time_zone, name="profile_time_zone"),
    path("profile/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
]
