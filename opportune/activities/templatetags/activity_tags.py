"""What pages of the apps above show of activities, without a view of theirs knowing more than a
doctype and a name: a document's activities panel, the state badge of its next activity (from
the ``next_activity_due`` its list or board query annotated, activities.todos.with_next_activity)
and a board card's quick plan."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

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


def request_today(context: template.Context) -> Any:
    request = context["request"]
    today = getattr(request, _TODAY, None)
    if today is None:
        today = todos.today_for(request.user)
        setattr(request, _TODAY, today)
    return today


@register.simple_tag(takes_context=True)
def activity_state(context: template.Context, due: Any) -> SafeString:
    """Odoo's dot: overdue red, today amber, planned green, none grey."""
    return state_badge_html(due, request_today(context))


def state_badge_html(due: Any, today: Any) -> SafeString:
    """The badge's HTML, built in Python (activities/_state_badge.html, the panel's, is its twin:
    keep them alike): a list or the board shows one per row (hundreds a
    page), where a template per row costs more than the page's queries (decision 0034)."""
    state = badge(due, today)
    when = f": {date_filter(due, 'Y-m-d')}" if due else ""
    label = f"{state['label']} {date_filter(due, 'j M')}" if due else state["label"]
    return format_html(
        '<span class="badge badge-{}" data-activity-state="{}" title="Next activity{}">{}</span>',
        state["tone"],
        state["state"],
        when,
        label,
    )


def badge(due: Any, today: Any) -> dict[str, Any]:
    state = todos.activity_state(due, today)
    tone, label = STATE_LABELS[state]
    return {"state": state, "tone": tone, "label": label, "due": due}


@register.simple_tag(takes_context=True)
def quick_plan(context: template.Context, doctype: str, name: str) -> SafeString:
    """A board card's menu: "Call in 3 days" and its kind, one click each."""
    request = context["request"]
    return quick_plan_html(doctype, name, request.get_full_path(), context.get("csrf_token"))


def quick_plan_html(
    doctype: str, name: str, next_url: str, csrf_token: Any, action: str | None = None
) -> SafeString:
    """The quick plan menu's HTML, built in Python (one per board card; see state_badge_html).
    ``action``: the plan URL, when the caller reversed it once for many cards."""
    return format_html(
        "{}{}</details>",
        quick_plan_summary_html(name),
        quick_plan_form_html(doctype, name, next_url, csrf_token, action),
    )


def quick_plan_summary_html(name: str, *, hidden: bool = False) -> SafeString:
    """The quick plan menu's opening, up to its form: ``hidden`` for the board, whose script
    shows it and puts the page's one form in it (quick_plan_form_html) when it opens."""
    return format_html(
        '<details class="quick-plan"{}><summary aria-label="Plan an activity on {}">Plan</summary>',
        mark_safe(" data-quick-plan hidden") if hidden else "",  # a constant
        name,
    )


def quick_plan_form_html(
    doctype: str, name: str, next_url: str, csrf_token: Any, action: str | None = None
) -> SafeString:
    """The quick plan's form: one button per plan of todos.QUICK_PLANS. The board draws it once
    a page (``name`` empty, in a <template>) and its script sets the card's name."""
    buttons = format_html_join(
        "",
        '<button type="submit" class="btn btn-small" name="plan" value="{}:{}">{} {}</button>',
        ((kind, days, kind, _in_days(days)) for kind, days in todos.QUICK_PLANS),
    )
    return format_html(
        '<form method="post" action="{}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="reference_type" value="{}">'
        '<input type="hidden" name="reference_name" value="{}">'
        '<input type="hidden" name="next" value="{}">{}</form>',
        action or reverse("activities:activity_plan"),
        csrf_token or "",
        doctype,
        name,
        next_url,
        buttons,
    )


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


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
    today = request_today(context)
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
