"""PATCH one opportunity, cheap (issue 12 point 3, "Cheap writes, pass 2"): the answer is read
as GET one reads it (core/api_read.py), byte for byte what the joined read answered; a lead's
status is recomputed when the opportunity's status or lead changed, not for any other field."""

from __future__ import annotations

import pytest

from opportune.core import api_documents
from opportune.crm import services as crm
from opportune.crm.models import Lead, Opportunity
from opportune.testing import make_item, make_lead, make_opportunity


@pytest.fixture
def opportunity(sales):
    make_item("W1", rate="10")
    return make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}], currency="USD")


def _joined_get(api, name, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(api_documents, "read_one", lambda *args: None)  # the joined read
        return api.get(f"opportunities/{name}")


@pytest.mark.parametrize(
    "change",
    [
        {"probability": 30},
        {"title": "Bigger", "items": [{"item_code": "W1", "qty": 5}]},
        {"status": "Closed", "contact_by": "manager"},
    ],
)
def test_the_patch_answers_as_the_joined_read(
    opportunity, sales, manager, api_as, monkeypatch, change
):
    api = api_as(sales)
    r = api.patch(f"opportunities/{opportunity.name}", {**change, "version": 1})
    assert r.status_code == 200, r.content
    joined = _joined_get(api, opportunity.name, monkeypatch)
    assert (r.content, r.headers.get("ETag")) == (joined.content, joined.headers.get("ETag"))
    assert r.json()["version"] == 2


def test_a_patch_that_hands_the_opportunity_over_answers_what_was_written(
    opportunity, sales, sales2, api_as
):
    """A rep handing over an opportunity they may no longer see still gets the document."""
    r = api_as(sales).patch(
        f"opportunities/{opportunity.name}", {"opportunity_owner": "sales2", "version": 1}
    )
    assert r.status_code == 200, r.content
    assert (r.json()["opportunity_owner"], r.json()["version"]) == ("sales2", 2)


def test_a_patch_of_another_field_leaves_the_lead_alone(sales, api_as):
    lead = make_lead(sales)
    opp = crm.make_opportunity_from_lead(lead, by=sales)
    lead.refresh_from_db()
    assert (lead.status, lead.version) == (Lead.Status.OPPORTUNITY, 2)
    r = api_as(sales).patch(f"opportunities/{opp.name}", {"probability": 40, "version": 1})
    assert r.status_code == 200, r.content
    lead.refresh_from_db()
    assert (lead.status, lead.version) == (Lead.Status.OPPORTUNITY, 2)


def test_a_patch_that_moves_the_opportunity_to_a_lead_recomputes_that_lead(
    opportunity, sales, api_as
):
    lead = make_lead(sales)
    assert lead.status == Lead.Status.LEAD
    r = api_as(sales).patch(
        f"opportunities/{opportunity.name}",
        {"opportunity_from": "Lead", "party_name": lead.name, "version": 1},
    )
    assert r.status_code == 200, r.content
    lead.refresh_from_db()
    assert (lead.status, lead.version) == (Lead.Status.OPPORTUNITY, 2)
    assert Opportunity.objects.get(pk=opportunity.pk).lead_id == lead.name


def test_a_patch_that_reopens_recomputes_the_lead(sales, api_as):
    """A lead whose only opportunity was lost (its status set by hand since) is an
    Opportunity lead again when the opportunity is reopened by a PATCH of its status."""
    lead = make_lead(sales)
    opp = crm.make_opportunity_from_lead(lead, by=sales)
    crm.declare_opportunity_lost(opp, lost_reasons=["Timing"], version=1, by=sales)
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.LEAD)
    r = api_as(sales).patch(f"opportunities/{opp.name}", {"status": "Open", "version": 2})
    assert r.status_code == 200, r.content
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OPPORTUNITY
