"""Lean lists (API.md, Lists; core/api_lists.py): a list row is the document's own fields, no
child tables; ``fields=`` chooses the columns and only those are read; ``expand=`` adds the child
tables; the cursor is a row-value comparison that walks every row exactly once, ties included.
Their query counts are pinned in test_query_counts.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportune.buying.api import REQUESTS_FOR_QUOTATION, SUPPLIER_QUOTATIONS, SUPPLIERS
from opportune.core import api_lists
from opportune.crm import services as crm
from opportune.crm.api import CONTACTS, CUSTOMERS, LEADS, OPPORTUNITIES
from opportune.crm.models import Opportunity
from opportune.selling import services as selling
from opportune.selling.api import QUOTATIONS, SALES_ORDERS
from opportune.testing import make_customer, make_item, make_opportunity

pytestmark = pytest.mark.django_db

DOCUMENTS = [
    OPPORTUNITIES,
    LEADS,
    CUSTOMERS,
    CONTACTS,
    QUOTATIONS,
    SALES_ORDERS,
    SUPPLIERS,
    SUPPLIER_QUOTATIONS,
    REQUESTS_FOR_QUOTATION,
]
BUYING = {SUPPLIERS.path, SUPPLIER_QUOTATIONS.path, REQUESTS_FOR_QUOTATION.path}


@pytest.fixture
def opportunities(sales):
    """Seven opportunities, two item rows each, ties on amount and probability, one lost."""
    make_item("W1", rate="10")
    make_item("W2", rate="5")
    party = make_customer(sales)
    made = []
    for n, amount in enumerate(["100", "100", "250", "100", "42", "250", "100"]):
        opp = make_opportunity(
            sales,
            party,
            items=[{"item_code": "W1", "qty": n + 1}, {"item_code": "W2"}],
            expected_closing=dt.date(2030, 1, 1 + n % 2),
        )
        Opportunity.objects.filter(pk=opp.pk).update(opportunity_amount=Decimal(amount))
        made.append(opp)
    crm.declare_opportunity_lost(made[2], lost_reasons=["Timing"], version=1, by=sales)
    return made


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- the row -----------------------------------------------------------------------------------
@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.path)
def test_a_row_schema_is_the_document_without_its_child_tables(doc):
    row = doc.list_rows.row
    assert set(row.model_fields) == set(doc.out.model_fields)
    assert row.model_fields["name"].is_required()
    assert not any(row.model_fields[n].is_required() for n in row.model_fields if n != "name")
    assert set(doc.list_rows.columns) == set(doc.out.model_fields) - set(doc.prefetch)


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.path)
def test_every_list_reads_only_its_columns(doc, manager):
    """Every resolver of a row says what it reads (core.schemas.reads): no list loads the whole
    row, nor a child table it was not asked for."""
    model = doc.visible(manager).model
    rows_of = doc.list_rows
    plan = rows_of.plan(model, rows_of.choose(None, None), "modified")
    # a contact's full_name is a property: what it reads is not declared, the whole row is read
    assert (plan.only is None) == (doc is CONTACTS) and plan.prefetch == ()
    lean = rows_of.plan(model, rows_of.choose("name", None), "")
    assert lean.only == (model._meta.pk.name, "modified") and lean.joins == lean.prefetch == ()


def test_the_default_row_has_no_child_tables(opportunities, sales, api_as):
    row = rows(api_as(sales).get("opportunities", limit=1))[0]
    assert set(row) == set(OPPORTUNITIES.list_rows.columns)
    assert not {"items", "lost_reasons", "competitors"} & set(row)
    full = api_as(sales).get(f"opportunities/{row['name']}").json()
    assert {k: full[k] for k in row} == row  # the same values as the document's own answer
    assert len(full["items"]) == 2


def test_fields_choose_the_columns_and_name_always_comes(opportunities, sales, api_as):
    api = api_as(sales)
    chosen = rows(api.get("opportunities", fields="status,opportunity_amount,opportunity_owner"))
    assert len(chosen) == 7
    assert all(
        set(r) == {"name", "status", "opportunity_amount", "opportunity_owner"} for r in chosen
    )
    assert {r["opportunity_owner"] for r in chosen} == {None}
    assert (
        min(chosen, key=lambda r: Decimal(r["opportunity_amount"]))["opportunity_amount"] == "42.00"
    )
    assert all(set(r) == {"name"} for r in rows(api.get("opportunities", fields="name")))


def test_fields_narrow_the_query(opportunities, sales, api_as):
    api = api_as(sales)
    api.get("opportunities", limit=1)
    with CaptureQueriesContext(connection) as ctx:
        rows(api.get("opportunities", fields="status"))
    listed = [q["sql"] for q in ctx.captured_queries if 'FROM "crm_opportunity"' in q["sql"]]
    assert len(listed) == 1
    columns = listed[0].split(" FROM ")[0]
    assert "status" in columns and "customer_name" not in columns and "JOIN" not in listed[0]


def test_expand_adds_the_child_tables(opportunities, sales, api_as):
    api = api_as(sales)
    expanded = rows(api.get("opportunities", expand="items,lost_reasons", fields="status"))
    assert all(set(r) == {"name", "status", "items", "lost_reasons"} for r in expanded)
    assert all(len(r["items"]) == 2 for r in expanded)
    assert [r["lost_reasons"] for r in expanded if r["status"] == "Lost"] == [["Timing"]]
    assert expanded[0]["items"][0]["rate"] == "10.00"
    everything = rows(api.get("opportunities", expand="items,lost_reasons,competitors"))
    full = api.get(f"opportunities/{everything[0]['name']}").json()
    assert everything[0] == full


def test_quotations_expand_their_items(opportunities, sales, api_as):
    quotation = selling.make_quotation_from_opportunity(opportunities[0], by=sales)
    api = api_as(sales)
    (row,) = rows(api.get("quotations"))
    assert "items" not in row and row["name"] == quotation.name
    (row,) = rows(api.get("quotations", expand="items"))
    assert [i["item_code"] for i in row["items"]] == ["W1", "W2"]


@pytest.mark.parametrize(
    ("params", "key", "named"),
    [
        ({"fields": "name,nope"}, "fields", "nope"),
        ({"fields": "status, password"}, "fields", "password"),
        ({"fields": "items"}, "fields", "items"),  # a child table: expand=
        ({"fields": "owner__username"}, "fields", "owner__username"),
        ({"expand": "items,owner"}, "expand", "owner"),
        ({"expand": "status"}, "expand", "status"),
    ],
)
def test_unknown_fields_and_expands_are_400(opportunities, sales, api_as, params, key, named):
    r = api_as(sales).get("opportunities", **params)
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == [key]
    assert named in error["fields"][key][0]


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.path)
def test_every_document_list_answers_fields_and_refuses_unknown_ones(
    doc, manager, purchaser, api_as
):
    api = api_as(purchaser if doc.path in BUYING else manager)
    r = api.get(doc.path, fields="name")
    assert r.status_code == 200, r.content
    r = api.get(doc.path, fields="name,not_a_field")
    assert r.status_code == 400 and "fields" in r.json()["error"]["fields"]
    r = api.get(doc.path, expand=",".join(doc.prefetch))
    assert r.status_code == 200, r.content
    r = api.get(doc.path, expand="not_a_table")
    assert r.status_code == 400 and "expand" in r.json()["error"]["fields"]


# --- the cursor --------------------------------------------------------------------------------
def _cursor_walk(api, limit, **params):
    seen, cursor = [], None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = api.get("opportunities", **query)
        seen += [row["name"] for row in rows(r)]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the walk does not end")


@pytest.mark.parametrize(
    "ordering",
    ["-opportunity_amount", "opportunity_amount", "probability", "-expected_closing", "-modified"],
)
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_cursor_pages_equal_an_offset_walk(opportunities, sales, api_as, ordering, limit):
    """Each row exactly once, in the order an offset walk over (ordering, name) gives, the
    ordering's column not even asked for (the cursor reads it all the same)."""
    field = ordering.lstrip("-")
    pk = "-pk" if ordering.startswith("-") else "pk"
    query = Opportunity.objects.order_by(ordering, pk).values_list("name", flat=True)
    offset_walk = []
    for start in range(0, 100, limit):
        page = list(query[start : start + limit])
        offset_walk += page
        if len(page) < limit:
            break
    seen = _cursor_walk(api_as(sales), limit, ordering=ordering, fields="status")
    assert seen == offset_walk
    assert len(set(seen)) == len(seen) == 7
    assert field  # (ties: four rows at 100, all at the same probability)


def test_the_cursor_is_a_row_value_comparison(opportunities, sales, api_as):
    api = api_as(sales)
    cursor = api.get("opportunities", limit=2).json()["next_cursor"]
    with CaptureQueriesContext(connection) as ctx:
        rows(api.get("opportunities", limit=2, cursor=cursor))
    (sql,) = [q["sql"] for q in ctx.captured_queries if 'FROM "crm_opportunity"' in q["sql"]]
    assert '("crm_opportunity"."modified", "crm_opportunity"."name") <' in sql


# --- the lean path (one join-free query, plain rows; decision 0023) ----------------------------
@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.path)
def test_the_lean_path_answers_byte_for_byte_what_the_model_path_answers(
    doc, opportunities, manager, purchaser, api_as, monkeypatch
):
    """A list whose fields are columns and one-step links reads plain rows; its answer is the
    one the model instances and ninja's schema give, byte for byte (contacts, whose full_name is
    a property, keep the model path)."""
    selling.make_quotation_from_opportunity(opportunities[0], by=manager)
    api = api_as(purchaser if doc.path in BUYING else manager)
    model = doc.visible(manager).model
    plan = doc.list_rows.plan(model, doc.list_rows.choose(None, None), "modified")
    assert plan.lean == (doc is not CONTACTS)
    queries = [{}, {"limit": 2}, {"fields": "name,modified,owner"}, {"ordering": "creation"}]
    lean = [api.get(doc.path, **q).content for q in queries]
    original = api_lists._plan

    def model_path(*args):
        return dataclasses.replace(original(*args), lean=False)

    monkeypatch.setattr(api_lists, "_plan", model_path)
    assert [api.get(doc.path, **q).content for q in queries] == lean


def test_the_lean_list_query_joins_nothing(opportunities, manager, api_as):
    api = api_as(manager)
    cursor = api.get("opportunities", limit=2).json()["next_cursor"]
    with CaptureQueriesContext(connection) as ctx:
        page = rows(api.get("opportunities", limit=2, cursor=cursor))
    (sql,) = [q["sql"] for q in ctx.captured_queries if 'FROM "crm_opportunity"' in q["sql"]]
    assert "JOIN" not in sql and '"auth_user"' in sql  # the usernames by subquery
    assert page[0]["owner"] == "sales" and page[0]["opportunity_amount"].count(".") == 1
