"""The pages of activities: plan one (from a document's page or, in two clicks, from a board
card), mark it done with its outcome, cancel it; the user's own list (overdue, today, upcoming),
also a section of the home page. Thin: access, then a service (activities.todos)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opportune.activities import access, todos
from opportune.activities.models import Activity
from opportune.core.errors import DomainError
from opportune.core.pages import as_http, safe_next, version_of
from opportune.core.views import HomeSection

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

PLAN_FIELDS = (
    "activity_type",
    "summary",
    "allocated_to",
    "reference_type",
    "reference_name",
    "notes",
)
SHOWN = 20  # per group of the user's list


def _back(request: SignedInRequest) -> str:
    return safe_next(request, "activities:activity_list")


@login_required
@require_POST
def plan_activity(request: SignedInRequest) -> HttpResponse:
    """From a document's panel (a due date) or a board card's quick plan (``in_days``)."""
    data: dict[str, Any] = {f: request.POST[f] for f in PLAN_FIELDS if request.POST.get(f)}
    kind, _, in_days = request.POST.get("plan", "").partition(":")  # "Call:3", a quick plan
    if kind:
        data["activity_type"] = kind
    if in_days.isdigit() and int(in_days) <= 366:
        data["due_date"] = todos.quick_due_date(int(in_days), by=request.user)
    else:
        data["due_date"] = request.POST.get("due_date", "")
    data.setdefault("summary", data.get("activity_type", ""))
    if not access.can_write_activities(request.user):
        raise PermissionDenied("You may not plan activities.")
    try:
        activity = todos.create_activity(data=data, by=request.user)
    except DomainError as exc:
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
        messages.error(request, f"{exc.message} {fields}".strip())
    else:
        messages.success(
            request,
            f"{activity.activity_type_id} planned for {activity.due_date:%a %d %b}: "
            f"{activity.summary}.",
        )
    return redirect(_back(request))


def _act(request: SignedInRequest, name: str, act: Callable[[Activity], Any], done: str) -> Any:
    activity = access.get_activity_for(request.user, name, write=True)
    try:
        act(activity)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(activity=activity))
    return redirect(_back(request))


@login_required
@require_POST
@as_http
def activity_done(request: SignedInRequest, name: str) -> HttpResponse:
    outcome = request.POST.get("outcome", "")
    return _act(
        request,
        name,
        lambda a: todos.mark_activity_done(
            a, outcome=outcome, version=version_of(request), by=request.user
        ),
        "Done: {activity.summary}.",
    )


@login_required
@require_POST
@as_http
def activity_cancel(request: SignedInRequest, name: str) -> HttpResponse:
    return _act(
        request,
        name,
        lambda a: todos.cancel_activity(a, version=version_of(request), by=request.user),
        "Cancelled: {activity.summary}.",
    )


# --- the user's activities: their page and the home section -------------------------------------
def my_activities(request: SignedInRequest, *, shown: int = SHOWN) -> dict[str, Any] | None:
    """The user's open activities: overdue, today, upcoming (``shown`` of each, with counts)."""
    if not access.can_write_activities(request.user):
        return None
    today = todos.today_for(request.user)
    mine = access.activities_visible_to(request.user).filter(
        allocated_to=request.user.pk, status=Activity.Status.OPEN
    )
    rows = mine.select_related("activity_type").order_by("due_date", "name")
    groups = (
        ("overdue", "Overdue", rows.filter(due_date__lt=today)),
        ("today", "Today", rows.filter(due_date=today)),
        ("planned", "Upcoming", rows.filter(due_date__gt=today)),
    )
    return {
        "today": today,
        "groups": [
            {"state": state, "label": label, "rows": list(qs[:shown])}
            for state, label, qs in groups
        ],
    }


@login_required
def activity_list(request: SignedInRequest) -> HttpResponse:
    section = my_activities(request, shown=200) or {"groups": [], "today": date.today()}
    return render(request, "activities/activity_list.html", {"section": section})


HOME_SECTION = HomeSection("activities-mine", "activities/home_activities.html", my_activities, 5)
