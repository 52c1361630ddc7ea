"""The condition evaluator: pure, every operator, all/any, coercion, and the checks made when a
rule is saved (each problem names its clause and field)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opportune.automation.conditions import check, evaluate

FIELDS = {
    "status": "text",
    "opportunity_amount": "number",
    "expected_closing": "date",
    "contact_date": "datetime",
    "with_items": "bool",
    "territory": "text",
}
VALUES = {
    "status": "Open",
    "opportunity_amount": Decimal("1500.00"),
    "expected_closing": dt.date(2026, 12, 31),
    "contact_date": dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC),
    "with_items": False,
    "territory": None,
}


def one(field: str, op: str, value: object = None) -> dict:
    return {"match": "all", "conditions": [{"field": field, "op": op, "value": value}]}


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("status", "eq", "Open", True),
        ("status", "eq", "Closed", False),
        ("status", "ne", "Closed", True),
        ("status", "in", ["Open", "Replied"], True),
        ("status", "not_in", ["Open", "Replied"], False),
        ("status", "contains", "pe", True),
        ("status", "contains", "PE", True),  # case-insensitive, as ERPNext's like
        ("opportunity_amount", "gt", "1000", True),
        ("opportunity_amount", "gt", 1500, False),
        ("opportunity_amount", "gte", "1500", True),
        ("opportunity_amount", "lt", 1500.5, True),
        ("opportunity_amount", "lte", "1499.99", False),
        ("opportunity_amount", "eq", "1500", True),  # decimals, not text
        ("expected_closing", "lt", "2027-01-01", True),
        ("expected_closing", "gte", "2027-01-01", False),
        ("contact_date", "gt", "2026-12-06T08:59:00+00:00", True),
        ("with_items", "eq", False, True),
        ("with_items", "eq", "true", False),
        ("territory", "is_not_set", None, True),
        ("territory", "is_set", None, False),
        ("status", "is_set", None, True),
        ("territory", "gt", "A", False),  # nothing is greater than an unset value
    ],
)
def test_operators(field, op, value, expected):
    assert evaluate(one(field, op, value), VALUES, FIELDS).matched is expected


def test_all_and_any_and_empty():
    both = [
        {"field": "status", "op": "eq", "value": "Open"},
        {"field": "opportunity_amount", "op": "gt", "value": "5000"},
    ]
    verdict = evaluate({"match": "all", "conditions": both}, VALUES, FIELDS)
    assert verdict.matched is False
    assert verdict.reason == "opportunity_amount gt '5000' (it is '1500.00')"
    assert evaluate({"match": "any", "conditions": both}, VALUES, FIELDS).matched is True
    assert evaluate({"match": "all", "conditions": []}, VALUES, FIELDS).matched is False
    assert evaluate(None, VALUES, FIELDS).matched is False
    assert evaluate({}, VALUES, FIELDS).reason == "no condition"


def test_check_names_each_problem():
    condition = {
        "match": "every",
        "conditions": [
            {"field": "colour", "op": "eq", "value": "red"},
            {"field": "status", "op": "like", "value": "Open"},
            {"field": "opportunity_amount", "op": "gt", "value": "lots"},
            {"field": "status", "op": "in", "value": "Open"},
            {"field": "status", "op": "eq"},
            {"field": "status", "op": "eq", "value": "Open"},
        ],
    }
    normal, problems = check(condition, FIELDS)
    assert problems == [
        "match must be all or any, not 'every'",
        "condition 1: unknown field 'colour'",
        "condition 2: unknown operator 'like' (use eq, ne, in, not_in, gt, gte, lt, lte, "
        "contains, is_set, is_not_set)",
        "condition 3 (opportunity_amount): 'lots' is not a number",
        "condition 4 (status): in needs a list of values",
        "condition 5 (status): eq needs a value",
    ]
    assert normal == {
        "match": "every",
        "conditions": [{"field": "status", "op": "eq", "value": "Open"}],
    }
    assert check({"match": "any", "conditions": []}, FIELDS) == (None, [])
    assert check(None, FIELDS) == (None, [])
