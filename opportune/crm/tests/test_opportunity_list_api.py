"""Opportunity lists over the API: filters, search, ordering, cursor pagination, counts (their
query counts are pinned in core/tests/test_query_counts.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest

from opportune.crm import services as crm
from opportune.crm.models import Opportunity
from opportune.testing import make_customer, make_lead, make_opportunity

pytestmark = pytest.mark.django_db
S = Opportunity.Status


def names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def walk(api, limit=3, **params):
    """Every page of a list, following next_cursor; answers the names in order."""
    seen, cursor, pages = [], None, 0
    while True:
        query = {**params, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        r = api.get("opportunities", **query)
        page = names(r)
        assert len(page) <= limit
        seen.extend(page)
        pages += 1
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen
        assert pages < 100


@pytest.fixture
def pipeline(sales, sales2):
    """Eleven opportunities with ties on amount and on expected_closing, and some nulls."""
    customer = make_customer(sales)
    other = make_customer(sales, customer_name="Zeta Corp", email_id="buyer@zeta.example")
    lead = make_lead(sales)
    rows = [
        # party, amount, closing, owner, status, date
        (customer, "100", dt.date(2030, 1, 10), "sales", S.OPEN, dt.date(2024, 1, 1)),
        (customer, "100", dt.date(2030, 1, 10), "sales2", S.OPEN, dt.date(2024, 2, 1)),
        (other, "250.50", None, "sales", S.REPLIED, dt.date(2024, 3, 1)),
        (other, "100", None, "sales2", S.CLOSED, dt.date(2024, 4, 1)),
        (lead, "0", dt.date(2030, 3, 1), None, S.OPEN, dt.date(2024, 5, 1)),
        (lead, "999.99", dt.date(2029, 12, 31), "sales", S.OPEN, dt.date(2024, 6, 1)),
        (customer, "250.50", dt.date(2030, 1, 10), "sales", S.OPEN, dt.date(2024, 7, 1)),
        (customer, "5000", None, "sales2", S.OPEN, dt.date(2024, 8, 1)),
        (other, "100", dt.date(2030, 3, 1), "sales", S.OPEN, dt.date(2024, 9, 1)),
        (customer, "42", None, None, S.OPEN, dt.date(2024, 10, 1)),
        (lead, "100", dt.date(2030, 1, 10), "sales", S.OPEN, dt.date(2024, 11, 1)),
    ]
    made = []
    for party, amount, closing, owner, status, on in rows:
        opp = make_opportunity(
            sales,
            party,
            opportunity_amount=Decimal(amount),
            expected_closing=closing,
            opportunity_owner=owner,
            transaction_date=on,
        )
        if status != S.OPEN:
            opp = crm.set_opportunity_status(opp, status=status, version=1, by=sales)
        made.append(opp)
    return made


def ordered(rows, key, desc=False):
    """Python's idea of the order: by key (nulls last either way), then by name."""
    present = [r for r in rows if key(r) is not None]
    nulls = [r for r in rows if key(r) is None]
    present.sort(key=lambda r: (key(r), r.name), reverse=desc)
    nulls.sort(key=lambda r: r.name, reverse=desc)
    return [r.name for r in present + nulls]


# --- pagination ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("opportunity_amount", lambda o: o.opportunity_amount),
        ("-opportunity_amount", lambda o: o.opportunity_amount),
        ("expected_closing", lambda o: o.expected_closing),
        ("-expected_closing", lambda o: o.expected_closing),
        ("transaction_date", lambda o: o.transaction_date),
        ("-modified", lambda o: o.modified),
        ("creation", lambda o: o.creation),
        ("status", lambda o: o.status),
        ("title", lambda o: o.title),
        ("-probability", lambda o: o.probability),
        ("name", lambda o: o.name),
    ],
)
@pytest.mark.parametrize("limit", [1, 3, 4])
def test_cursor_walks_every_row_once(pipeline, sales, api_as, ordering, key, limit):
    rows = list(Opportunity.objects.all())
    expected = ordered(rows, key, desc=ordering.startswith("-"))
    seen = walk(api_as(sales), limit=limit, ordering=ordering)
    assert seen == expected
    assert len(set(seen)) == len(rows) == 11


def test_default_order_is_newest_modified_first(pipeline, sales, api_as):
    expected = ordered(list(Opportunity.objects.all()), lambda o: o.modified, desc=True)
    assert names(api_as(sales).get("opportunities", limit=50)) == expected


def test_walk_with_a_filter(pipeline, sales, api_as):
    seen = walk(api_as(sales), limit=2, ordering="-opportunity_amount", opportunity_owner="sales")
    expected = ordered(
        [o for o in pipeline if o.opportunity_owner_id and o.opportunity_owner.username == "sales"],
        lambda o: o.opportunity_amount,
        desc=True,
    )
    assert seen == expected
    assert len(seen) == 6


def test_rows_added_while_walking_do_not_disturb_the_pages(pipeline, sales, api_as):
    api = api_as(sales)
    r = api.get("opportunities", ordering="name", limit=5)
    first = names(r)
    make_opportunity(sales, pipeline[0].customer)  # sorts after every existing name
    r = api.get("opportunities", ordering="name", limit=50, cursor=r.json()["next_cursor"])
    rest = names(r)
    assert first + rest[:-1] == sorted(o.name for o in pipeline)
    assert len(rest) == 7


def test_count_only_when_asked(pipeline, sales, api_as):
    api = api_as(sales)
    body = api.get("opportunities", limit=2).json()
    assert body["count"] is None
    body = api.get("opportunities", limit=2, with_count=1, status="Open").json()
    assert (body["count"], len(body["results"])) == (9, 2)
    assert body["next_cursor"] is not None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 100000}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"ordering": "bogus"}, "ordering"),
        ({"ordering": "-party_name; drop table"}, "ordering"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "x" * 600}, "cursor"),
        ({"opportunity_amount__gte": "abc"}, "opportunity_amount__gte"),
        ({"transaction_date__lte": "yesterday"}, "transaction_date__lte"),
        ({"with_count": "perhaps"}, "with_count"),
    ],
)
def test_bad_list_parameters_are_422(pipeline, sales, api_as, params, field):
    r = api_as(sales).get("opportunities", **params)
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        ("opportunity_amount", _cursor(["abc", "x"])),
        ("expected_closing", _cursor([{"k": "d", "t": "not a date"}, "x"])),
        ("expected_closing", _cursor([{"k": "zz", "t": "1"}, "x"])),
        ("opportunity_amount", _cursor([{"k": "dec", "t": "x"}, "x"])),
        ("opportunity_amount", _cursor([{"k": "dec", "t": None}, "x"])),
        ("transaction_date", _cursor([[1, 2], "x"])),
        ("name", _cursor(["a"])),
        ("name", _cursor({"a": 1})),
    ],
)
def test_forged_cursors_are_422(pipeline, sales, api_as, ordering, cursor):
    r = api_as(sales).get("opportunities", ordering=ordering, cursor=cursor)
    assert r.status_code == 422, r.content
    assert list(r.json()["error"]["fields"]) == ["cursor"]


def test_largest_limit_is_allowed(pipeline, sales, api_as):
    assert len(names(api_as(sales).get("opportunities", limit=200))) == 11


# --- filters and search --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "predicate"),
    [
        ({"status": "Open"}, lambda o: o.status == S.OPEN),
        ({"status": "Replied,Closed"}, lambda o: o.status in (S.REPLIED, S.CLOSED)),
        ({"status": "Lost"}, lambda o: False),
        (
            {"opportunity_owner": "sales2"},
            lambda o: (
                o.opportunity_owner_id is not None and o.opportunity_owner.username == "sales2"
            ),
        ),
        ({"opportunity_owner": "sales,sales2"}, lambda o: o.opportunity_owner_id is not None),
        ({"opportunity_from": "Lead"}, lambda o: o.opportunity_from == "Lead"),
        ({"party_name": "Zeta Corp"}, lambda o: o.party_name == "Zeta Corp"),
        ({"party_name": "Zeta Corp,Babbage Ltd"}, lambda o: o.opportunity_from == "Customer"),
        ({"sales_stage": "Prospecting"}, lambda o: True),
        ({"opportunity_type": "Support"}, lambda o: False),
        ({"currency": "USD"}, lambda o: True),
        ({"opportunity_amount__gte": "100"}, lambda o: o.opportunity_amount >= 100),
        ({"opportunity_amount__lte": "100"}, lambda o: o.opportunity_amount <= 100),
        (
            {"opportunity_amount__gte": "100", "opportunity_amount__lte": "250.50"},
            lambda o: 100 <= o.opportunity_amount <= Decimal("250.50"),
        ),
        ({"base_opportunity_amount__gte": "1000"}, lambda o: o.opportunity_amount >= 1000),
        (
            {"transaction_date__gte": "2024-06-01"},
            lambda o: o.transaction_date >= dt.date(2024, 6, 1),
        ),
        (
            {"transaction_date__gte": "2024-03-01", "transaction_date__lte": "2024-05-01"},
            lambda o: dt.date(2024, 3, 1) <= o.transaction_date <= dt.date(2024, 5, 1),
        ),
        (
            {"expected_closing__lte": "2030-01-10"},
            lambda o: o.expected_closing is not None and o.expected_closing <= dt.date(2030, 1, 10),
        ),
        (
            {"expected_closing__gte": "2030-01-11"},
            lambda o: o.expected_closing is not None and o.expected_closing >= dt.date(2030, 1, 11),
        ),
        (
            {"status": "Open", "opportunity_owner": "sales", "opportunity_amount__gte": "100"},
            lambda o: (
                o.status == S.OPEN
                and o.opportunity_owner_id is not None
                and o.opportunity_owner.username == "sales"
                and o.opportunity_amount >= 100
            ),
        ),
    ],
)
def test_filters(pipeline, sales, api_as, params, predicate):
    rows = list(Opportunity.objects.select_related("opportunity_owner"))
    expected = sorted(o.name for o in rows if predicate(o))
    got = names(api_as(sales).get("opportunities", ordering="name", limit=50, **params))
    assert got == expected


def test_filters_need_exact_values(pipeline, sales, api_as):
    assert names(api_as(sales).get("opportunities", status="open")) == []
    assert names(api_as(sales).get("opportunities", opportunity_owner="sal")) == []


@pytest.mark.parametrize(
    ("q", "predicate"),
    [
        ("zeta", lambda o: o.party_name == "Zeta Corp"),
        ("buyer@zeta", lambda o: o.party_name == "Zeta Corp"),
        ("analytical", lambda o: o.opportunity_from == "Lead"),
        ("nothing matches this", lambda o: False),
    ],
)
def test_search(pipeline, sales, api_as, q, predicate):
    expected = sorted(o.name for o in Opportunity.objects.all() if predicate(o))
    assert names(api_as(sales).get("opportunities", q=q, ordering="name", limit=50)) == expected


def test_search_by_name(pipeline, sales, api_as):
    target = pipeline[4].name
    assert names(api_as(sales).get("opportunities", q=target)) == [target]


def test_search_with_filter_and_count(pipeline, sales, api_as):
    body = (
        api_as(sales).get("opportunities", q="babbage", status="Open", with_count=1, limit=2).json()
    )
    assert body["count"] == 5


# --- kept statements (core/statements.py): a manager's lists, whatever the filters' values -------
@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("-opportunity_amount", lambda o: o.opportunity_amount),  # Decimal cursors, ties
        ("expected_closing", lambda o: o.expected_closing),  # dates, then the nulls
        ("-modified", lambda o: o.modified),
        ("title", lambda o: o.title),
    ],
)
def test_a_manager_walks_the_pages_from_kept_statements(pipeline, manager, api_as, ordering, key):
    from opportune.core import statements

    statements.clear()
    api = api_as(manager)
    expected = ordered(list(Opportunity.objects.all()), key, desc=ordering.startswith("-"))
    assert walk(api, limit=2, ordering=ordering) == expected
    kept = [k for k, compiled in statements._kept.items() if "api.list" in str(k)]
    assert kept and all(statements._kept[k] is not None for k in kept)  # none fell to the ORM
    owned = [
        o for o in pipeline if o.opportunity_owner_id and o.opportunity_owner.username == "sales"
    ]
    for params, rows in [
        ({"opportunity_owner": "sales"}, owned),
        (
            {"opportunity_owner": "sales2,nobody"},
            [o for o in pipeline if o not in owned and o.opportunity_owner_id],
        ),
        (
            {"status": "Open,Replied", "opportunity_amount__gte": "100"},
            [
                o
                for o in pipeline
                if o.status in (S.OPEN, S.REPLIED) and o.opportunity_amount >= 100
            ],
        ),
        (
            {"expected_closing__lte": "2030-01-10", "transaction_date__gte": "2024-02-01"},
            [
                o
                for o in pipeline
                if o.expected_closing
                and o.expected_closing <= dt.date(2030, 1, 10)
                and o.transaction_date >= dt.date(2024, 2, 1)
            ],
        ),
        ({"status": "Lost"}, []),
    ]:
        seen = walk(api, limit=2, ordering=ordering, **params)
        assert seen == ordered(rows, key, desc=ordering.startswith("-")), params
