"""The CRM's masters over the JSON API: opportunity types, lead sources, campaigns, sales
stages, lost reasons, competitors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opportune.crm import services as crm
from opportune.crm.models import (
    Campaign,
    Competitor,
    LeadSource,
    OpportunityLostReason,
    OpportunityType,
    SalesStage,
)
from opportune.testing import make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def snapshot(model):
    return list(model.objects.order_by("pk").values())


@pytest.mark.parametrize(
    ("path", "model", "body", "out"),
    [
        (
            "opportunity-types",
            OpportunityType,
            {"description": "After-sales"},
            {"description": "After-sales"},
        ),
        ("lead-sources", LeadSource, {"details": "Trade fair"}, {"details": "Trade fair"}),
        ("campaigns", Campaign, {"description": "Spring"}, {"description": "Spring"}),
        (
            "sales-stages",
            SalesStage,
            {"idx": 9, "probability": "95"},
            {"idx": 9, "probability": "95.00"},
        ),
        ("lost-reasons", OpportunityLostReason, {}, {}),
        (
            "competitors",
            Competitor,
            {"website": "https://acme.example"},
            {"website": "https://acme.example"},
        ),
    ],
)
def test_crud_by_a_manager_read_by_every_role(
    manager, sales, purchaser, api_as, path, model, body, out
):
    api = api_as(manager)
    r = api.post(path, {"name": "Acme", **body})
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["name"] == "Acme"
    for key, value in out.items():
        assert created[key] == value
    for user in (sales, purchaser):
        assert api_as(user).get(f"{path}/Acme").json() == created
    listed = api_as(sales).get(path, q="acm")
    assert [row["name"] for row in listed.json()["results"]] == ["Acme"]
    assert api.delete(f"{path}/Acme").status_code == 204
    assert not model.objects.filter(pk="Acme").exists()


@pytest.mark.parametrize(
    ("path", "model", "patch"),
    [
        ("opportunity-types", OpportunityType, {"description": "x"}),
        ("lead-sources", LeadSource, {"details": "x"}),
        ("sales-stages", SalesStage, {"probability": 50}),
        ("lost-reasons", OpportunityLostReason, None),
    ],
)
def test_refusals(manager, sales, outsider, api_as, path, model, patch):
    name = model.objects.order_by("pk").first().pk
    before = snapshot(model)
    # 401 without a token
    assert api_as(None).get(path).status_code == 401
    assert api_as(None).post(path, {"name": "New"}).status_code == 401
    # 403: a sales user writing
    assert api_as(sales).post(path, {"name": "New"}).status_code == 403
    assert api_as(sales).delete(f"{path}/{name}").status_code == 403
    if patch is not None:
        assert api_as(sales).patch(f"{path}/{name}", patch).status_code == 403
    # no role: nothing to see
    assert api_as(outsider).get(path).json()["results"] == []
    assert api_as(outsider).get(f"{path}/{name}").status_code == 404
    # 404: unknown name
    r = api_as(manager).get(f"{path}/No such thing")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    # 409: the name exists
    r = api_as(manager).post(path, {"name": name})
    assert r.status_code == 409
    assert list(r.json()["error"]["fields"]) == ["name"]
    assert snapshot(model) == before


def test_sales_stage_names_with_a_slash_are_addressable(manager, api_as):
    r = api_as(manager).get("sales-stages/Proposal/Price Quote")
    assert r.status_code == 200
    assert r.json() == {
        "name": "Proposal/Price Quote",
        "stage_name": "Proposal/Price Quote",
        "idx": 7,
        "probability": "75.00",
        "stale_after_days": None,
    }
    r = api_as(manager).patch("sales-stages/Proposal%2FPrice%20Quote", {"probability": 80})
    assert r.status_code == 200
    assert SalesStage.objects.get(pk="Proposal/Price Quote").probability == Decimal("80")


def test_sales_stages_list_in_pipeline_order(sales, api_as):
    r = api_as(sales).get("sales-stages", limit=3)
    assert [(s["name"], s["idx"]) for s in r.json()["results"]] == [
        ("Prospecting", 1),
        ("Qualification", 2),
        ("Needs Analysis", 3),
    ]
    r = api_as(sales).get("sales-stages", limit=3, cursor=r.json()["next_cursor"])
    assert [s["idx"] for s in r.json()["results"]] == [4, 5, 6]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("sales-stages", {"name": "Won", "probability": 101}, "probability"),
        ("sales-stages", {"name": "Won", "idx": -1}, "idx"),
        ("sales-stages", {"name": "Won", "stale_after_days": -1}, "stale_after_days"),
        ("sales-stages", {"name": "Won", "stale_after_days": 0}, "stale_after_days"),
        ("competitors", {"name": "Acme", "website": "not a url"}, "website"),
        ("campaigns", {"name": "x" * 141}, "name"),
        ("lead-sources", {"name": ""}, "name"),
        ("lost-reasons", {"name": "Cheap", "description": "no such field"}, "description"),
    ],
)
def test_bad_input_is_422_naming_the_field(manager, api_as, path, body, field):
    models = (SalesStage, Competitor, Campaign, LeadSource, OpportunityLostReason)
    before = [snapshot(m) for m in models]
    r = api_as(manager).post(path, body)
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "validation_error"
    assert list(r.json()["error"]["fields"]) == [field]
    assert [snapshot(m) for m in models] == before


def test_patch_sales_stage_out_of_range_changes_nothing(manager, api_as):
    before = snapshot(SalesStage)
    r = api_as(manager).patch("sales-stages/Prospecting", {"probability": "-1"})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["probability"]
    assert snapshot(SalesStage) == before


def test_deleting_masters_in_use_is_409(manager, api_as):
    lead = make_lead(manager, source="Website")
    opportunity = make_opportunity(manager, lead, sales_stage="Prospecting")
    crm.declare_opportunity_lost(
        opportunity,
        lost_reasons=["Too expensive"],
        competitors=[],
        detail="",
        version=opportunity.version,
        by=manager,
    )
    api = api_as(manager)
    r = api.delete("lost-reasons/Too expensive")
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        "Lost Reason 'Too expensive' is still used (1 opportunities) and cannot be deleted; "
        "change those records first, or disable it instead where it can be disabled."
    )
    assert api.delete("sales-stages/Prospecting").status_code == 409
    r = api.delete("lead-sources/Website")
    assert r.status_code == 409
    assert "(1 leads, 1 opportunities)" in r.json()["error"]["message"]
    assert api.delete("opportunity-types/Sales").status_code == 409
    assert OpportunityLostReason.objects.filter(pk="Too expensive").exists()
    assert list(opportunity.lost_reasons.values_list("pk", flat=True)) == ["Too expensive"]
    assert SalesStage.objects.filter(pk="Prospecting").exists()
    assert LeadSource.objects.filter(pk="Website").exists()
    # an unused one goes
    assert api.delete("lost-reasons/Timing").status_code == 204


# --- ERPNext's key fields ----------------------------------------------------------------------
# Each master is also created with, and answers, the field ERPNext names it by (its ``name``).
ERPNEXT_KEYS = [
    (
        "sales-stages",
        SalesStage,
        "stage_name",
        {"idx": 9, "probability": "95.00", "stale_after_days": None},
    ),
    ("lead-sources", LeadSource, "source_name", {"details": ""}),
    ("campaigns", Campaign, "campaign_name", {"description": ""}),
    ("lost-reasons", OpportunityLostReason, "lost_reason", {}),
    ("competitors", Competitor, "competitor_name", {"website": ""}),
]


@pytest.mark.parametrize(("path", "model", "key", "rest"), ERPNEXT_KEYS)
def test_a_crm_master_is_created_with_its_erpnext_key_and_answers_it(
    manager, sales, api_as, path, model, key, rest
):
    body = {key: "Acme", **({"idx": 9, "probability": "95"} if path == "sales-stages" else {})}
    r = api_as(manager).post(path, body)
    assert r.status_code == 201, r.content
    assert r.json() == {"name": "Acme", key: "Acme", **rest}
    assert model.objects.filter(pk="Acme").count() == 1
    assert api_as(sales).get(f"{path}/Acme").json() == r.json()
    assert api_as(sales).get(path, q="acm").json()["results"] == [r.json()]


@pytest.mark.parametrize(("path", "model", "key", "rest"), ERPNEXT_KEYS)
def test_crm_master_name_and_key_that_differ_are_422_naming_the_key(
    manager, api_as, path, model, key, rest
):
    before = snapshot(model)
    r = api_as(manager).post(path, {"name": "Acme", key: "Acme Corp"})
    assert r.status_code == 422, r.content
    message = (
        f"{key} and name differ ('Acme Corp', 'Acme'): they are the same key, send one of them."
    )
    assert r.json()["error"] == {
        "code": "validation_error",
        "message": message,
        "fields": {key: [message]},
    }
    assert snapshot(model) == before
    r = api_as(manager).post(path, {"name": "Acme", key: "Acme"})
    assert r.status_code == 201, r.content
    assert (r.json()["name"], r.json()[key]) == ("Acme", "Acme")


@pytest.mark.parametrize(("path", "model", "key", "rest"), ERPNEXT_KEYS)
def test_crm_master_without_name_or_key_is_422(manager, api_as, path, model, key, rest):
    before = snapshot(model)
    r = api_as(manager).post(path, {})
    assert r.status_code == 422, r.content
    message = f"This field is required (name or {key})."
    assert r.json()["error"]["fields"] == {"name": [message]}
    assert snapshot(model) == before


def test_a_lost_reason_named_by_its_erpnext_key_is_used_to_declare_lost(manager, api_as):
    api = api_as(manager)
    assert api.post("lost-reasons", {"lost_reason": "Went dark"}).status_code == 201
    opportunity = make_opportunity(manager)
    r = api.post(
        f"opportunities/{opportunity.name}/declare-lost",
        {"lost_reasons": ["Went dark"], "version": opportunity.version},
    )
    assert r.status_code == 200, r.content
    assert list(opportunity.lost_reasons.values_list("pk", flat=True)) == ["Went dark"]


def test_opportunity_types_have_no_erpnext_key(manager, api_as):
    """ERPNext names an Opportunity Type by prompt: there is no key field beside ``name``."""
    r = api_as(manager).post("opportunity-types", {"name": "Renewal", "description": "Yearly"})
    assert r.status_code == 201, r.content
    assert r.json() == {"name": "Renewal", "description": "Yearly"}
    r = api_as(manager).post("opportunity-types", {"opportunity_type": "Upsell"})
    assert r.status_code == 422
    assert sorted(r.json()["error"]["fields"]) == ["name", "opportunity_type"]
