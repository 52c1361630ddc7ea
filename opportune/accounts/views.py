"""Log in, log out, and the profile page with the user's API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opportune.accounts.forms import ApiTokenForm
from opportune.accounts.roles import roles_of
from opportune.accounts.services import issue_api_token, revoke_api_token
from opportune.core.errors import DomainError

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

login = auth_views.LoginView.as_view(
    template_name="accounts/login.html", redirect_authenticated_user=True
)
logout = auth_views.LogoutView.as_view()


@login_required
def profile(request: SignedInRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = issue_api_token(
                request.user, label=form.cleaned_data["label"], by=request.user
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
            "roles": sorted(roles_of(request.user)),
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
