"""The audit trail (issue 8, point 4): every change records who, when, old and new values and
the door; the timeline and the audit log show them; deleted documents are kept and restored
exactly; nobody edits the trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from opportune.core import audit
from opportune.core.jobs import enqueue_job
from opportune.core.models import DeletedDocument
from opportune.crm import services as crm
from opportune.crm.models import (
    Competitor,
    Opportunity,
    OpportunityItem,
    OpportunityLostReason,
    SalesStage,
)
from opportune.masters.models import Item
from opportune.selling import services as selling
from opportune.selling.models import Quotation, QuotationItem
from opportune.testing import client_for, make_customer, make_item, make_opportunity


@pytest.fixture
def items(db):
    make_item("W1", rate="10")
    make_item("W2", rate="3")


@pytest.fixture
def opp(sales, items):
    return make_opportunity(
        sales,
        with_items=True,
        items=[{"item_code": "W1", "qty": 2}, {"item_code": "W2", "qty": 3}],
    )


def _last(model, name):
    return model.history.filter(name=name).order_by("-history_date", "-history_id").first()


def _changes(entry):
    return {(c["field"], c["old"], c["new"]) for c in entry["changes"]}


# --- the door ----------------------------------------------------------------------------------
def test_a_change_through_a_page_records_page_who_and_values(opp, sales):
    response = client_for(sales).post(
        reverse("crm:opportunity_close", args=[opp.name]), {"version": opp.version}
    )
    assert response.status_code in (200, 302), response.content
    record = _last(Opportunity, opp.name)
    assert (record.history_door, record.history_user.username, record.status) == (
        "page",
        "sales",
        "Closed",
    )
    assert record.prev_record.status == "Open"


def test_a_change_through_the_api_records_api_and_the_timeline_shows_it(opp, sales, api_as):
    api = api_as(sales)
    r = api.patch(f"opportunities/{opp.name}", {"version": opp.version, "title": "Bigger deal"})
    assert r.status_code == 200, r.content
    assert _last(Opportunity, opp.name).history_door == "api"
    newest = api.get(f"opportunities/{opp.name}/timeline").json()[0]
    assert (newest["kind"], newest["user"], newest["door"]) == ("change", "sales", "api")
    assert {"field": "title", "old": "Babbage Ltd", "new": "Bigger deal"} in newest["data"][
        "changes"
    ]
    # and the page's timeline says the same
    page = client_for(sales).get(reverse("crm:opportunity_detail", args=[opp.name]))
    html = page.content.decode()
    assert "via api" in html and "Bigger deal" in html


def test_a_change_by_a_job_records_job(sales, items, django_capture_on_commit_callbacks):
    customer = make_customer(sales)
    opp = make_opportunity(sales, customer, with_items=True, items=[{"item_code": "W1"}])
    quotation = selling.submit_quotation(
        selling.make_quotation_from_opportunity(opp, by=sales), by=sales
    )
    assert quotation.valid_till is not None
    # the daily scheduled job, run through the ledger and Huey (immediate under tests), for a
    # slot on the day after validity
    slot = "2026-12-06T00:10:00+00:00"
    Quotation.objects.filter(pk=quotation.pk).update(valid_till=dt.date(2026, 12, 5))
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_job("selling.expire_quotations", key="audit-test", scheduled_for=slot)
    record = _last(Quotation, quotation.name)
    assert (record.status, record.history_door, record.history_user) == ("Expired", "job", None)
    assert audit.current_door() == "system"  # the job's door ended with the job


def test_outside_any_door_changes_are_system_and_door_nests(opp, sales):
    with audit.door("command"):
        with audit.door("job"):
            assert audit.current_door() == "job"
        crm.update_opportunity(opp, data={"title": "By hand"}, version=opp.version, by=sales)
    assert audit.current_door() == "system"
    assert _last(Opportunity, opp.name).history_door == "command"
    with pytest.raises(ValueError):
        audit.enter_door("window")


def test_a_history_manager_class_is_made_once_and_answers_as_before(opp, sales):
    # the library made a class on every access of ``.history`` (every save reads it)
    assert type(opp.history) is type(Opportunity.history)
    crm.update_opportunity(opp, data={"title": "Again"}, version=opp.version, by=sales)
    assert [r.title for r in opp.history.order_by("-history_id")[:1]] == ["Again"]
    assert Opportunity.history.filter(name=opp.name).count() == opp.history.count() == 2


def test_item_rows_changes_show_old_and_new_values(opp, sales, api_as):
    crm.update_opportunity(
        opp,
        data={"items": [{"item_code": "W1", "qty": 5}, {"item_code": "W2", "qty": 3}]},
        version=opp.version,
        by=sales,
    )
    entry = next(
        e
        for e in api_as(sales).get(f"opportunities/{opp.name}/timeline").json()
        if e["kind"] == "change"
    )
    assert (entry["user"], entry["door"]) == ("sales", "system")
    changes = {(c["field"], c["old"], c["new"]) for c in entry["data"]["changes"]}
    assert {
        ("items[0].qty", "2.000000", "5.000000"),
        ("items[0].amount", "20.0000", "50.0000"),
        ("items[0].base_amount", "20.0000", "50.0000"),
        ("total", "29.0000", "59.0000"),
    } <= changes
    assert not any(c[0].startswith("items[1]") for c in changes)
    # a change of the rows alone (a description) still leaves a record
    version = Opportunity.objects.get(pk=opp.pk).version
    crm.update_opportunity(
        opp,
        data={
            "items": [
                {"item_code": "W1", "qty": 5, "description": "Blue"},
                {"item_code": "W2", "qty": 3},
            ]
        },
        version=version,
        by=sales,
    )
    record = _last(Opportunity, opp.name)
    assert record.history_rows == [
        {"field": "items[0].description", "old": "W1", "new": "Blue"}
    ] or [c["field"] for c in record.history_rows] == ["items[0].description"]


def test_masters_and_settings_are_recorded(manager, api_as):
    api = api_as(manager)
    r = api.post("sales-stages", {"name": "Demo", "probability": "40"})
    assert r.status_code == 201, r.content
    r = api.patch("sales-stages/Demo", {"probability": "55"})
    assert r.status_code == 200, r.content
    record = _last(SalesStage, "Demo")
    assert (record.history_door, record.history_user.username) == ("api", "manager")
    page = api.get("audit-log", doctype="Sales Stage", name="Demo").json()
    assert [(e["action"], e["user"], e["door"]) for e in page["results"]] == [
        ("changed", "manager", "api"),
        ("created", "manager", "api"),
    ]
    assert _changes(page["results"][0]) == {("probability", "40.00", "55.00")}
    settings = api.get("settings/crm").json()
    r = api.patch("settings/crm", {"version": settings["version"], "company_name": "Acme"})
    assert r.status_code == 200, r.content
    entry = api.get("audit-log", doctype="CRM Settings").json()["results"][0]
    assert (entry["action"], entry["door"]) == ("changed", "api")
    assert ("company_name", settings["company_name"], "Acme") in _changes(entry)


def test_audit_log_filters_and_pages_with_a_cursor(manager, api_as):
    api = api_as(manager)
    for n in range(5):
        assert api.post("campaigns", {"name": f"C{n}"}).status_code == 201
    first = api.get("audit-log", doctype="Campaign", limit=2).json()
    assert [e["name"] for e in first["results"]] == ["C4", "C3"]
    second = api.get("audit-log", doctype="Campaign", limit=2, cursor=first["next_cursor"]).json()
    assert [e["name"] for e in second["results"]] == ["C2", "C1"]
    third = api.get("audit-log", limit=2, cursor=second["next_cursor"], user="manager").json()
    assert [e["name"] for e in third["results"]][:1] == ["C0"]
    assert api.get("audit-log", door="job", doctype="Campaign").json()["results"] == []
    bad = api.get("audit-log", doctype="Nothing")
    assert bad.status_code == 422
    assert "doctype" in bad.json()["error"]["fields"]
    assert api.get("audit-log", cursor="nope").status_code == 422


def test_the_audit_page_lists_masters_and_settings_for_managers(manager, sales, api_as):
    api_as(manager).post("lead-sources", {"name": "Fair"})
    page = client_for(manager).get(reverse("audit_log"))
    assert page.status_code == 200
    assert "Fair" in page.content.decode()
    assert client_for(sales).get(reverse("audit_log")).status_code == 403


def test_sales_users_reach_neither_the_audit_log_nor_deleted_documents(opp, sales, api_as):
    api = api_as(sales)
    crm.delete_opportunity(opp, version=None, by=sales)
    kept = DeletedDocument.objects.get()
    for r in (
        api.get("audit-log"),
        api.get("deleted-documents"),
        api.get(f"deleted-documents/{kept.pk}"),
        api.post(f"deleted-documents/{kept.pk}/restore"),
    ):
        assert r.status_code == 403, r.content
        assert r.json()["error"]["code"] == "permission_denied"
    client = client_for(sales)
    assert client.get(reverse("deleted_documents")).status_code == 403
    assert client.get(reverse("deleted_document", args=[kept.pk])).status_code == 403
    assert client.post(reverse("deleted_document_restore", args=[kept.pk])).status_code == 403
    assert not Opportunity.objects.filter(pk=opp.pk).exists()
    assert DeletedDocument.objects.get().restored is False


# --- deleted documents -------------------------------------------------------------------------
def _state(model, name):
    doc = model.objects.get(pk=name)
    row = model_to_dict(doc)
    row.update(
        version=doc.version,
        creation=doc.creation,
        modified=doc.modified,
        owner=doc.owner_id,
        modified_by=doc.modified_by_id,
        items=[{**model_to_dict(i), "id": i.pk} for i in doc.items.order_by("idx")],
    )
    for m2m in ("lost_reasons", "competitors"):
        if m2m in row:
            row[m2m] = sorted(o.pk for o in row[m2m])
    return row


def test_delete_then_restore_an_opportunity_with_items_exactly(opp, sales, manager, api_as):
    reason = OpportunityLostReason.objects.create(name="Too dear")
    Competitor.objects.create(name="Rival")
    opp = crm.declare_opportunity_lost(
        opp, lost_reasons=[reason.name], competitors=["Rival"], detail="Price", by=sales
    )
    before = _state(Opportunity, opp.name)
    r = api_as(sales).delete(f"opportunities/{opp.name}")
    assert r.status_code == 204, r.content
    assert not OpportunityItem.objects.filter(opportunity_id=opp.name).exists()
    api = api_as(manager)
    listed = api.get("deleted-documents").json()["results"]
    assert [
        (d["doctype"], d["name"], d["deleted_by"], d["door"], d["restored"]) for d in listed
    ] == [("Opportunity", opp.name, "sales", "api", False)]
    detail = api.get(f"deleted-documents/{listed[0]['id']}").json()
    assert detail["data"]["records"][0]["pk"] == opp.name
    assert len(detail["data"]["records"]) == 3  # the opportunity and its two rows
    r = api.post(f"deleted-documents/{listed[0]['id']}/restore")
    assert r.status_code == 200, r.content
    assert (r.json()["restored"], r.json()["restored_by"]) == (True, "manager")
    assert _state(Opportunity, opp.name) == before
    timeline = api.get(f"opportunities/{opp.name}/timeline").json()
    assert [(e["kind"], e["user"], e["door"]) for e in timeline[:2]] == [
        ("restored", "manager", "api"),
        ("deleted", "sales", "api"),
    ]
    # a second restore is refused
    again = api.post(f"deleted-documents/{listed[0]['id']}/restore")
    assert again.status_code == 409


def test_delete_then_restore_a_quotation_with_items_exactly(opp, sales, manager, api_as):
    quotation = selling.make_quotation_from_opportunity(opp, by=sales)
    before = _state(Quotation, quotation.name)
    assert api_as(sales).delete(f"quotations/{quotation.name}").status_code == 204
    assert not QuotationItem.objects.filter(quotation_id=quotation.name).exists()
    kept = DeletedDocument.objects.get(doctype="Quotation")
    r = api_as(manager).post(f"deleted-documents/{kept.pk}/restore")
    assert r.status_code == 200, r.content
    assert _state(Quotation, quotation.name) == before


def test_restoring_a_name_taken_again_is_a_409_and_changes_nothing(manager, api_as):
    api = api_as(manager)
    assert api.post("campaigns", {"name": "Spring", "description": "old"}).status_code == 201
    assert api.delete("campaigns/Spring").status_code == 204
    assert api.post("campaigns", {"name": "Spring", "description": "new"}).status_code == 201
    kept = DeletedDocument.objects.get(doctype="Campaign")
    r = api.post(f"deleted-documents/{kept.pk}/restore")
    assert r.status_code == 409
    assert "exists again" in r.json()["error"]["message"]
    from opportune.crm.models import Campaign

    assert Campaign.objects.get(pk="Spring").description == "new"
    kept.refresh_from_db()
    assert kept.restored is False


def test_restoring_when_a_linked_record_is_gone_is_a_409(sales, manager, api_as, items):
    opp = make_opportunity(sales, with_items=True, items=[{"item_code": "W2"}])
    crm.delete_opportunity(opp, version=None, by=sales)
    Item.objects.filter(pk="W2").delete()  # what a row refers to is gone
    kept = DeletedDocument.objects.get(doctype="Opportunity")
    r = api_as(manager).post(f"deleted-documents/{kept.pk}/restore")
    assert r.status_code == 409
    assert "Item 'W2'" in r.json()["error"]["message"]
    assert not Opportunity.objects.filter(pk=opp.pk).exists()
    assert not DeletedDocument.objects.get(pk=kept.pk).restored


def test_a_refused_delete_keeps_nothing(opp, sales, api_as):
    selling.submit_quotation(selling.make_quotation_from_opportunity(opp, by=sales), by=sales)
    assert api_as(sales).delete(f"opportunities/{opp.name}").status_code == 409
    assert DeletedDocument.objects.count() == 0


def test_deleted_documents_pages_and_restore_button(opp, sales, manager):
    crm.delete_opportunity(opp, version=None, by=sales)
    kept = DeletedDocument.objects.get()
    client = client_for(manager)
    listing = client.get(reverse("deleted_documents")).content.decode()
    assert opp.name in listing
    detail = client.get(reverse("deleted_document", args=[kept.pk])).content.decode()
    assert "Restore" in detail and "W1" in detail
    r = client.post(reverse("deleted_document_restore", args=[kept.pk]))
    assert r.status_code == 302
    assert Opportunity.objects.filter(pk=opp.pk).exists()
    assert (
        Opportunity.history.filter(name=opp.name).order_by("-history_id").first().history_door
        == "page"
    )


# --- nobody edits the trail --------------------------------------------------------------------
def test_history_cannot_be_edited_through_the_admin(opp, sales, admin_client):
    record = _last(Opportunity, opp.name)
    url = reverse("admin:crm_opportunity_simple_history", args=[opp.name, record.history_id])
    assert admin_client.get(url).status_code == 200
    r = admin_client.post(url, {"title": "Rewritten", "status": "Lost"})
    assert r.status_code == 403
    assert Opportunity.objects.get(pk=opp.pk).title == opp.title
    assert _last(Opportunity, opp.name).history_id == record.history_id
    from django.contrib import admin

    history_models = [m for m in admin.site._registry if m.__name__.startswith("Historical")]
    assert history_models == []
    deleted_admin = admin.site._registry[DeletedDocument]
    request = type("R", (), {"user": None})()
    assert not deleted_admin.has_add_permission(request)
    assert not deleted_admin.has_change_permission(request)
    assert not deleted_admin.has_delete_permission(request)


def test_no_api_route_writes_history(db):
    from opportune.api import api

    paths = api.get_openapi_schema()["paths"]
    audit_paths = {p: set(ops) for p, ops in paths.items() if "audit" in p or "deleted" in p}
    assert audit_paths == {
        "/api/v1/audit-log": {"get"},
        "/api/v1/deleted-documents": {"get"},
        "/api/v1/deleted-documents/{id}": {"get"},
        "/api/v1/deleted-documents/{id}/restore": {"post"},
    }


def test_the_audit_log_shows_documents_with_usernames(opp, sales, sales2, manager, api_as):
    r = api_as(sales).patch(
        f"opportunities/{opp.name}", {"version": opp.version, "opportunity_owner": "sales2"}
    )
    assert r.status_code == 200, r.content
    entry = api_as(manager).get("audit-log", doctype="Opportunity", name=opp.name).json()
    newest = entry["results"][0]
    assert (newest["action"], newest["user"], newest["door"]) == ("changed", "sales", "api")
    assert ("opportunity_owner", None, "sales2") in _changes(newest)
