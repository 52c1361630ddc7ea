"""The CRM pages through Django's test client: permissions, forms, errors, bulk, board (their
query counts are pinned in core/tests/test_query_counts.py)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from opportune.core import pages as common
from opportune.crm import services
from opportune.crm.models import Lead, Opportunity
from opportune.crm.tests.helpers import opportunity_state, row_counts
from opportune.testing import client_for, make_customer, make_item, make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def detail_url(opp) -> str:
    return reverse("crm:opportunity_detail", args=[opp.name])


# --- access ---------------------------------------------------------------------------------------
def test_anonymous_is_sent_to_login():
    response = Client().get(reverse("crm:opportunity_list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_outsider_gets_404_for_an_opportunity_page(sales, outsider):
    opp = make_opportunity(sales)
    client = client_for(outsider)
    assert client.get(detail_url(opp)).status_code == 404
    assert client.get(reverse("crm:opportunity_edit", args=[opp.name])).status_code == 404
    before = opportunity_state(opp.name)
    response = client.post(reverse("crm:opportunity_reopen", args=[opp.name]), {"version": 1})
    assert response.status_code == 404
    assert opportunity_state(opp.name) == before


def test_outsider_sees_an_empty_list(sales, outsider):
    make_opportunity(sales)
    response = client_for(outsider).get(reverse("crm:opportunity_list"))
    assert response.status_code == 200
    assert list(response.context["page"]["results"]) == []


def test_purchase_user_can_read_but_not_edit(sales, purchaser):
    opp = make_opportunity(sales)
    client = client_for(purchaser)
    page = client.get(detail_url(opp))
    assert page.status_code == 200
    assert page.context["can_write"] is False
    assert b"Declare Lost" not in page.content
    edit_url = reverse("crm:opportunity_edit", args=[opp.name])
    assert client.get(edit_url).status_code == 403
    before = opportunity_state(opp.name)
    response = client.post(
        edit_url,
        {
            "version": opp.version,
            "title": "Hijacked",
            "opportunity_from": "Customer",
            "party_name": opp.party_name,
            "opportunity_type": "Sales",
            "currency": "USD",
        },
    )
    assert response.status_code == 403
    assert client.get(reverse("crm:opportunity_create")).status_code == 403
    lost = client.post(
        reverse("crm:opportunity_declare_lost", args=[opp.name]),
        {"version": opp.version, "lost_reasons": ["Too expensive"]},
    )
    assert lost.status_code == 403
    assert opportunity_state(opp.name) == before


# --- create and edit -------------------------------------------------------------------------------
def form_data(party, **extra) -> dict:
    data = {
        "opportunity_from": party.doctype,
        "party_name": party.name,
        "opportunity_type": "Sales",
        "currency": "USD",
        "sales_stage": "Prospecting",
    }
    data.update(extra)
    return data


def test_create_with_two_items_computes_the_totals(sales):
    make_item("WIDGET", rate="100")
    make_item("GADGET", rate="250.50")
    lead = make_lead(sales)
    data = form_data(
        lead,
        **{
            "items-0-item_code": "WIDGET",
            "items-0-qty": "2",
            "items-3-item_code": "GADGET",
            "items-3-qty": "3",
            "items-3-rate": "",
            "items-5-item_code": "",
            "items-5-qty": "",
        },
    )
    response = client_for(sales).post(reverse("crm:opportunity_create"), data)
    assert response.status_code == 302
    opp = Opportunity.objects.get()
    assert response["Location"] == detail_url(opp)
    assert opp.total == Decimal("951.50")
    assert opp.opportunity_amount == Decimal("951.50")
    assert [(i.item_code_id, i.qty, i.amount) for i in opp.items.order_by("idx")] == [
        ("WIDGET", Decimal("2"), Decimal("200.00")),
        ("GADGET", Decimal("3"), Decimal("751.50")),
    ]
    assert Lead.objects.get(pk=lead.name).status == "Opportunity"


def test_bad_input_shows_field_errors_and_writes_nothing(sales):
    make_item("WIDGET", rate="100")
    customer = make_customer(sales)
    before = row_counts()
    client = client_for(sales)
    # A value the form itself refuses.
    response = client.post(
        reverse("crm:opportunity_create"),
        form_data(customer, probability="150", contact_email="nope"),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"probability", "contact_email"}
    assert b'aria-invalid="true"' in response.content
    # A value only the service can judge: the error lands on the item row's cell.
    response = client.post(
        reverse("crm:opportunity_create"),
        form_data(
            customer,
            **{
                "items-0-item_code": "WIDGET",
                "items-0-qty": "1",
                "items-1-item_code": "WIDGET",
                "items-1-qty": "-2",
                "items-2-item_code": "NOPE",
                "items-2-qty": "1",
            },
        ),
    )
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows[0]["errors"] == {}
    assert rows[1]["errors"] == {"qty": "Quantity must be greater than 0."}
    assert rows[2]["errors"] == {"item_code": "Item 'NOPE' does not exist."}
    assert rows[1]["qty"] == "-2"  # the user's input is kept
    # A party that does not exist, named on the party field.
    response = client.post(
        reverse("crm:opportunity_create"), form_data(customer, party_name="Ghost Ltd")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["party_name"] == ["Customer 'Ghost Ltd' does not exist."]
    assert row_counts() == before


def test_edit_sends_only_what_changed_so_the_stage_sets_the_probability(sales):
    opp = make_opportunity(sales, sales_stage="Prospecting")
    client = client_for(sales)
    page = client.get(reverse("crm:opportunity_edit", args=[opp.name]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(sales_stage="Negotiation/Review", title="Bigger deal")
    data["contact_date"] = ""
    response = client.post(reverse("crm:opportunity_edit", args=[opp.name]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    opp.refresh_from_db()
    assert (opp.sales_stage_id, opp.probability, opp.title, opp.version) == (
        "Negotiation/Review",
        Decimal("90.00"),
        "Bigger deal",
        2,
    )


def test_stale_edit_is_refused_with_a_message_and_keeps_the_input(sales, sales2):
    opp = make_opportunity(sales)
    client = client_for(sales)
    page = client.get(reverse("crm:opportunity_edit", args=[opp.name]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    services.update_opportunity(opp, data={"title": "Saved first"}, version=1, by=sales2)
    data["title"] = "My change"
    before = opportunity_state(opp.name)
    response = client.post(reverse("crm:opportunity_edit", args=[opp.name]), data)
    assert response.status_code == 200
    assert "was changed by someone else" in response.content.decode()
    assert response.context["form"]["title"].value() == "My change"
    assert opportunity_state(opp.name) == before


# --- actions ---------------------------------------------------------------------------------------
def test_declare_lost_needs_a_reason_then_records_reasons(sales):
    opp = make_opportunity(sales)
    client = client_for(sales)
    url = reverse("crm:opportunity_declare_lost", args=[opp.name])
    before = opportunity_state(opp.name)
    response = client.post(url, {"version": 1, "order_lost_reason": "Went quiet"})
    assert response.status_code == 200
    assert response.context["lost_errors"] == {"lost_reasons": "Give at least one lost reason."}
    assert response.context["open_dialog"] == "lost-dialog"
    assert opportunity_state(opp.name) == before
    response = client.post(
        url,
        {
            "version": 1,
            "lost_reasons": ["Too expensive", "Timing"],
            "order_lost_reason": "Budget moved",
        },
    )
    assert response.status_code == 302
    opp.refresh_from_db()
    assert opp.status == "Lost"
    assert sorted(opp.lost_reasons.values_list("pk", flat=True)) == ["Timing", "Too expensive"]
    page = client.get(detail_url(opp)).content.decode()
    assert "Too expensive" in page and "Budget moved" in page
    response = client.post(reverse("crm:opportunity_reopen", args=[opp.name]), {"version": 2})
    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.status, list(opp.lost_reasons.all()), opp.order_lost_reason) == ("Open", [], "")


def test_stale_action_shows_the_message_and_changes_nothing(sales):
    opp = make_opportunity(sales)
    services.update_opportunity(opp, data={"title": "Moved on"}, version=1, by=sales)
    before = opportunity_state(opp.name)
    client = client_for(sales)
    response = client.post(
        reverse("crm:opportunity_close", args=[opp.name]), {"version": 1}, follow=True
    )
    assert "was changed by someone else" in response.content.decode()
    assert opportunity_state(opp.name) == before


def test_assign_comment_and_make_customer(sales, sales2):
    lead = make_lead(sales)
    opp = make_opportunity(sales, party=lead)
    client = client_for(sales)
    client.post(
        reverse("crm:opportunity_assign", args=[opp.name]),
        {"version": 1, "opportunity_owner": "sales2"},
    )
    client.post(reverse("crm:opportunity_comment", args=[opp.name]), {"content": "Called them"})
    response = client.post(reverse("crm:opportunity_make_customer", args=[opp.name]))
    opp.refresh_from_db()
    assert opp.opportunity_owner == sales2
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:customer_detail", args=["Analytical Engines"])
    detail = client.get(detail_url(opp))
    page = detail.content.decode()
    assert "Called them" in page
    # the change is on the timeline, field by field (the page always has an owner <select>,
    # so the text alone would prove nothing)
    changes = [
        c for e in detail.context["timeline"] if e.kind == "change" for c in e.data["changes"]
    ]
    assert {"field": "opportunity_owner", "old": None, "new": "sales2"} in changes
    assert "opportunity_owner" in page


# --- list, filters, bulk ---------------------------------------------------------------------------
def test_list_filters_from_the_url_and_names_a_bad_value(sales):
    a = make_opportunity(sales, sales_stage="Qualification", opportunity_amount="500")
    make_opportunity(sales, sales_stage="Prospecting", opportunity_amount="900")
    client = client_for(sales)
    response = client.get(
        reverse("crm:opportunity_list"),
        {"sales_stage": "Qualification", "status": ["Open", "Replied"]},
    )
    assert [o.name for o in response.context["page"]["results"]] == [a.name]
    response = client.get(
        reverse("crm:opportunity_list"),
        {"base_opportunity_amount__gte": "lots", "sales_stage": "Qualification"},
    )
    assert response.status_code == 200
    assert list(response.context["errors"]) == ["base_opportunity_amount__gte"]
    assert [o.name for o in response.context["page"]["results"]] == [a.name]
    response = client.get(reverse("crm:opportunity_list"), {"ordering": "nonsense"})
    assert response.status_code == 200
    assert list(response.context["errors"]) == ["ordering"]
    response = client.get(reverse("crm:opportunity_list"), {"cursor": "%%%"})
    assert response.status_code == 200
    assert list(response.context["errors"]) == ["cursor"]
    assert len(response.context["page"]["results"]) == 2


def test_list_pages_with_a_cursor(sales, monkeypatch):
    for i in range(3):
        make_opportunity(sales, title=f"Deal {i}")
    client = client_for(sales)
    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    first = client.get(reverse("crm:opportunity_list"), {"ordering": "title"})
    cursor = first.context["page"]["next_cursor"]
    second = client.get(reverse("crm:opportunity_list"), {"ordering": "title", "cursor": cursor})
    assert [o.title for o in first.context["page"]["results"]] == ["Deal 0", "Deal 1"]
    assert [o.title for o in second.context["page"]["results"]] == ["Deal 2"]


def test_bulk_actions_apply_one_by_one_and_report_refusals(sales, sales2):
    a, b = make_opportunity(sales), make_opportunity(sales)
    services.update_opportunity(b, data={"title": "Changed meanwhile"}, version=1, by=sales2)
    client = client_for(sales)
    response = client.post(
        reverse("crm:opportunity_bulk"),
        {
            "selected": [f"{a.name}@1", f"{b.name}@1"],
            "action": "assign",
            "assign_value": "sales2",
            "next": "/crm/opportunities/?status=Open",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/crm/opportunities/?status=Open"
    text = response.content.decode()
    assert "Updated 1 opportunity." in text and f"{b.name}: " in text
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.opportunity_owner, b.opportunity_owner) == (sales2, None)
    client.post(
        reverse("crm:opportunity_bulk"),
        {
            "selected": [f"{a.name}@2", f"{b.name}@2"],
            "action": "stage",
            "stage_value": "Needs Analysis",
        },
    )
    client.post(reverse("crm:opportunity_bulk"), {"selected": [f"{a.name}@3"], "action": "close"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.sales_stage_id, a.status, b.sales_stage_id) == (
        "Needs Analysis",
        "Closed",
        "Needs Analysis",
    )


def test_bulk_refused_for_purchase_user(sales, purchaser):
    a = make_opportunity(sales)
    before = opportunity_state(a.name)
    client_for(purchaser).post(
        reverse("crm:opportunity_bulk"), {"selected": [f"{a.name}@1"], "action": "close"}
    )
    assert opportunity_state(a.name) == before


# --- board -----------------------------------------------------------------------------------------
def test_board_totals_come_from_sql_and_moves_go_through_the_service(sales):
    a = make_opportunity(sales, sales_stage="Prospecting", opportunity_amount="1000")
    make_opportunity(sales, sales_stage="Prospecting", opportunity_amount="500")
    client = client_for(sales)
    page = client.get(reverse("crm:opportunity_board"))
    column = next(c for c in page.context["columns"] if c["key"] == "Prospecting")
    assert (column["total"]["count"], column["total"]["amount"], column["total"]["weighted"]) == (
        2,
        Decimal("1500"),
        Decimal("150"),
    )
    response = client.post(
        reverse("crm:opportunity_board_move"), {"name": a.name, "version": 1, "to": "Qualification"}
    )
    body = json.loads(response.content)
    assert response.status_code == 200 and body["ok"] is True
    assert body["columns"]["Qualification"] == {
        "count": 1,
        "amount": "1,000.00",
        "weighted": "200.00",
    }
    a.refresh_from_db()
    assert (a.sales_stage_id, a.probability, a.version) == ("Qualification", Decimal("20.00"), 2)
    stale = client.post(
        reverse("crm:opportunity_board_move"), {"name": a.name, "version": 1, "to": "Prospecting"}
    )
    assert json.loads(stale.content)["code"] == "conflict"
    lost = client.post(
        reverse("crm:opportunity_board_move") + "?group_by=status",
        {"name": a.name, "version": 2, "to": "Lost", "group_by": "status"},
    )
    assert json.loads(lost.content)["ok"] is False
    assert "Declare Lost" in json.loads(lost.content)["message"]
    a.refresh_from_db()
    assert (a.sales_stage_id, a.status, a.version) == ("Qualification", "Open", 2)


def test_board_cards_have_a_move_button_for_those_who_may_move_them(sales, purchaser):
    opp = make_opportunity(sales, sales_stage="Prospecting")
    move = f'aria-label="Move {opp.name} to another stage"'
    page = client_for(sales).get(reverse("crm:opportunity_board")).content.decode()
    assert (page.count(move), page.count('id="move-dialog"')) == (1, 1)
    by_status = client_for(sales).get(reverse("crm:opportunity_board"), {"group_by": "status"})
    assert f'aria-label="Move {opp.name} to another status"' in by_status.content.decode()
    read_only = client_for(purchaser).get(reverse("crm:opportunity_board")).content.decode()
    assert f'data-name="{opp.name}"' in read_only
    assert ("kcard-move" in read_only, "move-dialog" in read_only) == (False, False)


# --- pickers, leads, customers, home ----------------------------------------------------------------
def test_party_picker_finds_leads_and_customers(sales):
    lead = make_lead(sales)
    make_customer(sales)
    client = client_for(sales)
    found = client.get(reverse("crm:party_search"), {"opportunity_from": "Lead", "party_q": "ada"})
    assert f'data-pick="{lead.name}"'.encode() in found.content
    found = client.get(
        reverse("crm:party_search"), {"opportunity_from": "Customer", "party_q": "babb"}
    )
    assert b'data-pick="Babbage Ltd"' in found.content


def test_party_picker_hides_disabled_parties(sales):
    """As ERPNext's link search; a disabled lead can still be typed in (it is not refused)."""
    lead = make_lead(sales)
    services.update_lead(lead, data={"disabled": True}, version=1, by=sales)
    customer = make_customer(sales, disabled=True)
    client = client_for(sales)
    for kind, text, name in (("Lead", "ada", lead.name), ("Customer", "babb", customer.name)):
        found = client.get(reverse("crm:party_search"), {"opportunity_from": kind, "party_q": text})
        assert f'data-pick="{name}"'.encode() not in found.content
        assert f"No {kind.lower()} matches".encode() in found.content


def test_lead_form_creates_and_names_bad_fields(sales):
    client = client_for(sales)
    bad = client.post(reverse("crm:lead_create"), {"lead_name": "", "email_id": "x"})
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"lead_name", "email_id"}
    assert Lead.objects.count() == 0
    ok = client.post(reverse("crm:lead_create"), {"lead_name": "Grace Hopper", "source": "Website"})
    lead = Lead.objects.get()
    assert ok["Location"] == reverse("crm:lead_detail", args=[lead.name])
    assert (lead.lead_name, lead.source_id, lead.owner) == ("Grace Hopper", "Website", sales)
    page = client.get(ok["Location"]).content.decode()
    assert "Make Opportunity" in page


def test_customer_page_lists_its_opportunities(sales):
    customer = make_customer(sales)
    opp = make_opportunity(sales, party=customer)
    page = client_for(sales).get(reverse("crm:customer_detail", args=[customer.name]))
    assert [o.name for o in page.context["opportunities"]] == [opp.name]


def test_home_dashboard_shows_my_work_and_the_pipeline(sales, outsider):
    make_opportunity(
        sales, opportunity_owner="sales", opportunity_amount="300", sales_stage="Qualification"
    )
    response = client_for(sales).get("/")
    sections = {s["key"]: s["context"] for s in response.context["sections"]}
    assert len(sections["crm-my-work"]["open_opportunities"]) == 1
    # the pipeline chart is the reports app's (reports/dashboard.py, its summary query)
    chart = sections["reports-pipeline"]["chart"]
    open_ = next(d for d in chart["datasets"] if d["name"] == "Open")
    assert open_["values"][chart["labels"].index("Qualification")] == 300
    assert client_for(outsider).get("/").context["sections"] == []
