"""The CRM's sections of the home dashboard (registered with core in CrmConfig.ready). The
pipeline chart is the reports app's (reports/dashboard.py), from the same query as its report."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from opportune.core.business_hours import business_minutes_between
from opportune.core.models import Comment
from opportune.core.views import HomeSection
from opportune.crm import access
from opportune.crm.awaiting_response import first_response_cutoff
from opportune.crm.models import CRMSettings, Opportunity
from opportune.crm.stale import is_stale, with_stale_days

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

ACTIVE = Opportunity.ACTIVE_STATUSES


def my_work(request: SignedInRequest) -> dict | None:
    if not access.can_read_opportunities(request.user):
        return None
    visible = access.opportunities_visible_to(request.user)
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    return {
        "open_opportunities": visible.filter(opportunity_owner=request.user, status__in=ACTIVE)
        .select_related("currency")
        .order_by("expected_closing", "-modified")[:10],
        "contacts_today": visible.filter(
            contact_by=request.user,
            contact_date__gte=start,
            contact_date__lt=start + timedelta(days=1),
        ).order_by("contact_date")[:20],
    }


def recent_activity(request: SignedInRequest) -> dict | None:
    if not access.can_read_opportunities(request.user):
        return None
    visible = access.opportunities_visible_to(request.user)
    latest = list(
        Comment.objects.filter(reference_doctype="Opportunity")
        .select_related("owner")
        .order_by("-creation", "-id")[:50]
    )
    allowed = set(
        visible.filter(pk__in={c.reference_name for c in latest}).values_list("pk", flat=True)
    )
    comments = [c for c in latest if c.reference_name in allowed][:10]
    changed = visible.select_related("modified_by").order_by("-modified", "-name")[:10]
    return {"recent_comments": comments, "recent_changes": changed}


def stale_deals(request: SignedInRequest) -> dict | None:
    """The stale deals the user sees (Odoo's rotting), longest untouched first."""
    if not access.can_read_opportunities(request.user):
        return None
    now = timezone.now()
    rows = access.opportunities_visible_to(request.user).filter(is_stale(now))
    rows = with_stale_days(rows, now).select_related("opportunity_owner")
    return {"stale_deals": rows.order_by("modified", "name")[:10]}


def awaiting_response(request: SignedInRequest) -> dict | None:
    """Open opportunities the user sees that wait for a first response past the target
    (CRM Settings), longest waiting first; hidden while no target is set."""
    if not access.can_read_opportunities(request.user):
        return None
    settings = CRMSettings.current()
    if settings.first_response_target_minutes is None:
        return None
    now = timezone.now()
    cutoff = first_response_cutoff(now)
    rows: list[Opportunity] = []
    if cutoff is not None:
        rows = list(
            access.opportunities_visible_to(request.user)
            .filter(
                status=Opportunity.Status.OPEN,
                first_responded_on__isnull=True,
                creation__lt=cutoff,
            )
            .select_related("opportunity_owner")
            .order_by("creation", "name")[:10]
        )
    schedule = settings.business_schedule()
    overdue = [  # ten at most, the business hours waited computed without a query
        {"opp": o, "hours": round(business_minutes_between(o.creation, now, schedule) / 60, 1)}
        for o in rows
    ]
    return {"overdue": overdue, "target": settings.first_response_target_minutes}


SECTIONS = (
    HomeSection("crm-my-work", "crm/home/my_work.html", my_work, order=10),
    HomeSection("crm-stale", "crm/home/stale.html", stale_deals, order=15),
    HomeSection(
        "crm-awaiting-response", "crm/home/awaiting_response.html", awaiting_response, order=16
    ),
    HomeSection("crm-activity", "crm/home/activity.html", recent_activity, order=30),
)
