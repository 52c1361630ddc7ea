"""What pages of the apps above show of activities, without a view of theirs knowing more than a
doctype and a name: a document's activities panel, the state badge of its next activity (from
the ``next_activity_due`` its list or board query annotated, activities.todos.with_next_activity)
and a board card's quick plan."""

from __future__ import annotations

from typing import Any

from django import template

from opportune.accounts.roles import sales_users
from opportune.activities import access, todos
from opportune.activities.models import Activity, ActivityType

register = template.Library()

STATE_LABELS = {
    todos.OVERDUE: ("red", "Overdue"),
    todos.TODAY: ("stale", "Today"),
    todos.PLANNED: ("green", "Planned"),
    todos.NONE: ("grey", "No activity"),
}
_TODAY = "_activities_today"  # the user's today, kept on the request


def _today(context: template.Context) -> Any:
    request = context["request"]
    today = getattr(request, _TODAY, None)
    if today is None:
        today = todos.today_for(request.user)
        setattr(request, _TODAY, today)
    return today


@register.inclusion_tag("activities/_state_badge.html", takes_context=True)
def activity_state(context: template.Context, due: Any) -> dict[str, Any]:
    """Odoo's dot: overdue red, today amber, planned green, none grey."""
    return badge(due, _today(context))


def badge(due: Any, today: Any) -> dict[str, Any]:
    state = todos.activity_state(due, today)
    tone, label = STATE_LABELS[state]
    return {"state": state, "tone": tone, "label": label, "due": due}


@register.inclusion_tag("activities/_quick_plan.html", takes_context=True)
def quick_plan(context: template.Context, doctype: str, name: str) -> dict[str, Any]:
    """A board card's menu: "Call in 3 days" and its kind, one click each."""
    request = context["request"]
    return {
        "doctype": doctype,
        "name": name,
        "plans": todos.QUICK_PLANS,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("activities/_panel.html", takes_context=True)
def activity_panel(context: template.Context, doctype: str, name: str) -> dict[str, Any]:
    """A document's open activities (the user sees them with the document), the form to plan
    one, and each one's Done (with its outcome) and Cancel."""
    request = context["request"]
    can_write = access.can_write_activities(request.user)
    rows = (
        access.activities_visible_to(request.user)
        .filter(reference_type=doctype, reference_name=name, status=Activity.Status.OPEN)
        .select_related("activity_type", "allocated_to")
        .order_by("due_date", "name")
    )
    today = _today(context)
    return {
        "doctype": doctype,
        "name": name,
        "activities": [{"row": a, **badge(a.due_date, today)} for a in rows[:50]],
        "types": list(ActivityType.objects.all()) if can_write else [],
        "users": list(sales_users().values_list("username", flat=True)) if can_write else [],
        "can_write": can_write,
        "today": today,
        "user": request.user,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def activity_url(activity: Activity) -> str:
    """The page an activity is about (its document's), else the user's activities."""
    return todos.activity_link(activity)
