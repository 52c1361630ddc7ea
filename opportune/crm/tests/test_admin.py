"""The CRM's admin: documents are read-only, settings are one versioned row, masters in use
stay."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opportune.crm.models import CRMSettings, Opportunity, OpportunityLostReason
from opportune.crm.services import declare_opportunity_lost
from opportune.testing import make_customer, make_opportunity

pytestmark = pytest.mark.django_db


def test_documents_are_read_only(admin_client, manager):
    opportunity = make_opportunity(manager, title="Big deal")
    url = reverse("admin:crm_opportunity_change", args=[opportunity.pk])
    r = admin_client.get(url)
    assert b"Big deal" in r.content
    assert b'name="_save"' not in r.content
    r = admin_client.post(url, {"title": "Changed"})
    assert r.status_code == 403
    assert admin_client.get(reverse("admin:crm_opportunity_add")).status_code == 403
    assert (
        admin_client.get(
            reverse(
                "admin:crm_customer_delete", args=[make_customer(manager, customer_name="Other").pk]
            )
        ).status_code
        == 403
    )
    assert Opportunity.objects.get(pk=opportunity.pk).title == "Big deal"


def test_crm_settings_is_one_row_whose_version_moves(admin_client):
    r = admin_client.get(reverse("admin:crm_crmsettings_changelist"))
    assert r.status_code == 302
    url = reverse("admin:crm_crmsettings_change", args=[1])
    assert r.url == url
    page = admin_client.get(url).content.decode()
    assert "as copies made at that moment." in page  # says what each one does
    form = {
        "company_name": "Engines",
        "company_currency": "EUR",
        "time_zone": "Mars/Base",
        "close_opportunity_after_days": 15,
        "default_valid_till": "",
        "auto_creation_of_contact": "on",
    }
    r = admin_client.post(url, form)
    assert r.status_code == 200  # the form again, with the error
    assert b"Not a known time zone" in r.content
    assert CRMSettings.load().company_name == "My Company"
    r = admin_client.post(url, {**form, "time_zone": "Europe/Paris"})
    assert r.status_code == 302
    settings = CRMSettings.load()
    assert (settings.company_name, settings.time_zone, settings.version) == (
        "Engines",
        "Europe/Paris",
        2,
    )


def test_lost_reason_in_use_is_not_deleted(admin_client, manager):
    # held by an opportunity: a many-to-many row that Django alone would cascade
    opportunity = make_opportunity(manager)
    declare_opportunity_lost(
        opportunity,
        lost_reasons=["Too expensive"],
        competitors=[],
        detail="",
        version=opportunity.version,
        by=manager,
    )
    r = admin_client.post(
        reverse("admin:crm_opportunitylostreason_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": ["Too expensive", "Timing"],
            "post": "yes",
        },
    )
    assert r.status_code == 403  # the used one may not be deleted, so the batch is refused
    assert OpportunityLostReason.objects.filter(pk__in=["Too expensive", "Timing"]).count() == 2
    assert list(opportunity.lost_reasons.values_list("pk", flat=True)) == ["Too expensive"]
