"""Log in (throttled), log out, the password change, and the profile page with the user's API
tokens."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.accounts.forms import ApiTokenForm, TimeZoneForm
from opportune.accounts.models import Profile
from opportune.accounts.roles import roles_of
from opportune.accounts.services import expiry_in_days, issue_api_token, revoke_api_token
from opportune.accounts.services import set_time_zone as set_time_zone_of
from opportune.accounts.time_zones import user_time_zone
from opportune.core.errors import DomainError

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest, User

login = auth_views.LoginView.as_view(
    template_name="accounts/login.html", redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Django's password change: this session stays signed in (update_session_auth_hash), every
    other session of the user ends at its next request (its session hash no longer matches).
    API tokens are kept, as ERPNext keeps API keys: revoke them on the profile page."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")
    success_message = (
        "Your password was changed. Your other sessions are signed out; your API tokens still work."
    )


password_change = PasswordChange.as_view()


def lockout_message(request: HttpRequest) -> str:
    cool_off = get_cool_off(request) or timedelta(0)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    return (
        "Too many failed sign-ins for this account or address; "
        f"try again in {minutes} minute{pluralize(minutes)}."
    )


def locked_out(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """django-axes' answer to a sign-in refused by the throttle (the login page's and the
    admin's): the login page again, with the reason, as 429 Too Many Requests. Every refused try
    starts the wait again, so the whole wait is what is left."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return render(
        request,
        "accounts/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_out": lockout_message(request),
            "next": request.POST.get("next", ""),
        },
        status=429,
    )


@login_required
def profile(request: SignedInRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = issue_api_token(
                request.user,
                label=form.cleaned_data["label"],
                expires=expiry_in_days(form.cleaned_data["expires_days"]),
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            form = ApiTokenForm()
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "new_secret": new_secret,
            "tokens": request.user.api_tokens.all(),
            "now": timezone.now(),
            "roles": sorted(roles_of(request.user)),
            "time_zone_form": TimeZoneForm(initial={"time_zone": _own_time_zone(request.user)}),
            "time_zone": user_time_zone(request.user),
        },
    )


@login_required
@require_POST
def revoke_token(request: SignedInRequest, token_id: int) -> HttpResponse:
    try:
        revoke_api_token(token_id, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The token was revoked; it no longer works.")
    return redirect("profile")


def _own_time_zone(user: User) -> str:
    """The time zone the user chose ("" for the company's); the profile stays cached on the user."""
    try:
        return user.profile.time_zone
    except Profile.DoesNotExist:
        return ""


@login_required
@require_POST
def set_time_zone(request: SignedInRequest) -> HttpResponse:
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a time zone from the list.")
        return redirect("profile")
    try:
        set_time_zone_of(request.user, time_zone=form.cleaned_data["time_zone"], by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your time zone was saved.")
    return redirect("profile")
