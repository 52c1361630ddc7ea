"""The CRM masters at a glance, with links into the admin for those who may edit them."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from opportune.activities.models import ActivityType
from opportune.crm import access
from opportune.crm.models import (
    Campaign,
    Competitor,
    LeadSource,
    OpportunityLostReason,
    OpportunityType,
    SalesStage,
)
from opportune.masters.access import masters_visible_to
from opportune.masters.models import UOM, CustomerGroup, Industry, Item, Territory

MASTERS = (
    OpportunityType,
    SalesStage,
    LeadSource,
    Campaign,
    OpportunityLostReason,
    Competitor,
    Territory,
    CustomerGroup,
    Industry,
    Item,
    UOM,
    ActivityType,
)
SHOWN = 30


@login_required
def masters_index(request: HttpRequest) -> HttpResponse:
    staff = request.user.is_staff and access.can_manage_masters(request.user)
    groups = []
    for model in MASTERS:
        names = list(
            masters_visible_to(request.user, model).values_list("pk", flat=True)[: SHOWN + 1]
        )
        groups.append(
            {
                "label": str(model._meta.verbose_name_plural).title(),
                "names": names[:SHOWN],
                "more": len(names) > SHOWN,
                "admin_url": _admin_url(model) if staff else None,
            }
        )
    return render(request, "crm/masters.html", {"groups": groups})


def _admin_url(model) -> str | None:
    if not admin.site.is_registered(model):
        return None
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        return None
