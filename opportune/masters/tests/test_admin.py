"""The Django admin of every app: every model registered, every page opens; masters."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from opportune.accounts.models import ApiToken
from opportune.crm.models import CRMSettings
from opportune.masters.models import UOM, CustomerGroup
from opportune.testing import make_customer, make_item, make_lead, make_opportunity

pytestmark = pytest.mark.django_db

OUR_APPS = {
    "core",
    "accounts",
    "masters",
    "notifications",
    "webhooks",
    "activities",
    "automation",
    "comms",
    "crm",
    "reports",
    "erpnext",
}
INLINE_ONLY = {
    "crm.OpportunityItem",
    "automation.AssignmentRuleUser",
    "comms.CommunicationAttachment",
}  # shown in their parent


def test_every_model_of_our_apps_is_registered():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        and not model._meta.auto_created
        and not model.__name__.startswith("Historical")
        and model not in admin.site._registry
        and model._meta.label not in INLINE_ONLY
    ]
    assert missing == []


def test_every_list_and_detail_page_opens(admin_client, manager):
    make_item("W1")
    opportunity = make_opportunity(manager, items=[{"item_code": "W1", "qty": 2}], with_items=True)
    make_lead(manager)
    ApiToken.issue(manager, "laptop")
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        r = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        if model is CRMSettings:  # a single row: its list goes straight to it
            assert r.status_code == 302, model
            assert r["Location"] == reverse("admin:crm_crmsettings_change", args=[1])
        else:  # 302 here would be the admin's ?e=1 redirect for a broken list
            assert r.status_code == 200, model
        obj = model._default_manager.first()
        if obj is not None:
            r = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert r.status_code == 200, model
    r = admin_client.get(reverse("admin:crm_opportunity_history", args=[opportunity.pk]))
    assert r.status_code == 200


def test_token_admin_hides_the_hash(admin_client, manager):
    token, _raw = ApiToken.issue(manager, "laptop")
    r = admin_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert token.key_hash.encode() not in r.content
    assert token.hint.encode() in r.content


def test_master_in_use_is_not_deleted(admin_client, manager):
    make_customer(manager, customer_group="Commercial")
    r = admin_client.get(reverse("admin:masters_customergroup_delete", args=["Commercial"]))
    assert r.status_code == 403
    r = admin_client.post(
        reverse("admin:masters_customergroup_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": ["Commercial", "Government"],
            "post": "yes",
        },
    )
    assert r.status_code == 200  # Django lists the protected customer and deletes nothing
    assert CustomerGroup.objects.filter(pk__in=["Commercial", "Government"]).count() == 2
    # names are fixed once created
    r = admin_client.post(
        reverse("admin:masters_uom_change", args=["Box"]),
        {"name": "Crate", "must_be_whole_number": "on", "enabled": "on"},
    )
    assert r.status_code == 302, r.context["adminform"].form.errors
    assert UOM.objects.filter(pk="Box").exists()
    assert not UOM.objects.filter(pk="Crate").exists()
