"""The notification pages: the list, opening one (read, then its link), marking one or all
read, the bell (polled by the header), and the email choices posted from the profile page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from opportune.core.pages import as_http, list_context
from opportune.notifications.access import get_notification_for, notifications_visible_to
from opportune.notifications.filters import NOTIFICATION_ORDERINGS, NotificationFilters
from opportune.notifications.models import Notification
from opportune.notifications.sections import bell_context
from opportune.notifications.services import (
    mark_all_notifications_read,
    mark_notification_read,
    set_email_choices,
)

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


@login_required
@require_GET
def notification_list(request: SignedInRequest) -> HttpResponse:
    context = list_context(
        request,
        NotificationFilters,
        notifications_visible_to(request.user),
        orderings=NOTIFICATION_ORDERINGS,
        default="-creation",
    )
    return render(request, "notifications/list.html", context)


@login_required
@require_GET
def bell(request: SignedInRequest) -> HttpResponse:
    return render(request, "notifications/_bell.html", bell_context(request))


@login_required
@require_POST
@as_http
def notification_open(request: SignedInRequest, id: int) -> HttpResponse:
    """Read, then its link (a path of this site; anything else: the list)."""
    notification = mark_notification_read(get_notification_for(request.user, id), by=request.user)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, {request.get_host()}):
        return redirect(link)
    return redirect("notifications:list")


@login_required
@require_POST
@as_http
def notification_read(request: SignedInRequest, id: int) -> HttpResponse:
    notification = mark_notification_read(get_notification_for(request.user, id), by=request.user)
    if request.headers.get("HX-Request") == "true":  # the row, read, in place; the bell recounts
        response = render(request, "notifications/_row.html", {"n": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("notifications:list")


@login_required
@require_POST
def notifications_read_all(request: SignedInRequest) -> HttpResponse:
    marked = mark_all_notifications_read(by=request.user)
    messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked read.")
    return redirect("notifications:list")


@login_required
@require_POST
def email_settings(request: SignedInRequest) -> HttpResponse:
    """The profile's "Email me for" form: a kind ticked comes by email, unticked does not."""
    ticked = set(request.POST.getlist("email"))
    set_email_choices(
        choices={kind: kind in ticked for kind in Notification.Kind.values}, by=request.user
    )
    messages.success(request, "Your email choices are saved.")
    return redirect("profile")
