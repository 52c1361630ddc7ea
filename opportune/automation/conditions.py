"""Assignment rule conditions as data (API.md; ERPNEXT_BEHAVIOUR decision 6): never code.

A condition is ``{"match": "all" | "any", "conditions": [{"field", "op", "value"}]}``. It is
checked against the fields a document type registers (``registry``) when a rule is saved, and
evaluated here, purely, over a dict of the document's values. An empty or absent condition never
matches. Values are compared after coercion to the field's kind (numbers as decimals, dates and
datetimes from ISO text), so ``"1000"`` and ``1000`` compare the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

OPS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "is_set", "is_not_set")
NO_VALUE = ("is_set", "is_not_set")
LIST_OPS = ("in", "not_in")
ORDERED = ("gt", "gte", "lt", "lte")
# the kinds of a field: how its values (and a condition's values) are compared
TEXT, NUMBER, DATE, DATETIME, BOOL = "text", "number", "date", "datetime", "bool"


class BadValue(ValueError):
    pass


def coerce(kind: str, value: Any) -> Any:
    """``value`` as the field's kind compares it; None stays None. Raises BadValue."""
    if value is None or (value == "" and kind != TEXT):
        return None
    try:
        if kind == NUMBER:
            if isinstance(value, bool):
                raise BadValue(f"{value!r} is not a number")
            number = Decimal(str(value))
            if not number.is_finite():
                raise BadValue(f"{value!r} is not a number")
            return number
        if kind == DATE:
            if isinstance(value, dt.datetime):
                return value.date()
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind == DATETIME:
            if isinstance(value, dt.datetime):
                return value
            parsed = dt.datetime.fromisoformat(str(value))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        if kind == BOOL:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes"):
                return True
            if text in ("0", "false", "no"):
                return False
            raise BadValue(f"{value!r} is not true or false")
    except (InvalidOperation, ValueError, TypeError) as exc:
        if isinstance(exc, BadValue):
            raise
        raise BadValue(f"{value!r} is not a {kind}") from exc
    return str(value)


def is_empty(condition: Mapping[str, Any] | None) -> bool:
    return not condition or not condition.get("conditions")


def fields_named(condition: Mapping[str, Any] | None) -> set[str]:
    """The fields a condition reads."""
    if is_empty(condition):
        return set()
    assert condition is not None
    return {clause["field"] for clause in condition["conditions"]}


def check(condition: Any, fields: Mapping[str, str]) -> tuple[dict[str, Any] | None, list[str]]:
    """The condition, normalised (None when empty), and what is wrong with it: each message names
    the clause and field. ``fields``: the document type's fields and their kinds."""
    if condition is None or condition == {} or condition == "":
        return None, []
    if not isinstance(condition, Mapping):
        return None, ['must be {"match": "all" | "any", "conditions": [...]}']
    problems: list[str] = []
    unknown = sorted(set(condition) - {"match", "conditions"})
    if unknown:
        problems.append(f"unknown keys: {', '.join(unknown)}")
    match = condition.get("match", "all")
    if match not in ("all", "any"):
        problems.append(f"match must be all or any, not {match!r}")
    clauses = condition.get("conditions") or []
    if not isinstance(clauses, list):
        return None, [*problems, "conditions must be a list"]
    normal: list[dict[str, Any]] = []
    for n, clause in enumerate(clauses, 1):
        if not isinstance(clause, Mapping):
            problems.append(f"condition {n} must be an object")
            continue
        extra = sorted(set(clause) - {"field", "op", "value"})
        if extra:
            problems.append(f"condition {n}: unknown keys: {', '.join(extra)}")
        field, op, value = clause.get("field"), clause.get("op"), clause.get("value")
        if not isinstance(field, str) or field not in fields:
            problems.append(f"condition {n}: unknown field {field!r}")
            continue
        if op not in OPS:
            problems.append(f"condition {n}: unknown operator {op!r} (use {', '.join(OPS)})")
            continue
        kind = fields[field]
        try:
            if op in NO_VALUE:
                value = None
            elif op in LIST_OPS:
                if not isinstance(value, list) or not value:
                    raise BadValue(f"{op} needs a list of values")
                for item in value:
                    coerce(kind, item)
            elif value is None:
                raise BadValue(f"{op} needs a value")
            elif isinstance(value, list | dict):
                raise BadValue(f"{op} needs one value, not a list")
            else:
                coerce(kind, value)
        except BadValue as exc:
            problems.append(f"condition {n} ({field}): {exc}")
            continue
        normal.append({"field": field, "op": op, "value": value})
    if not clauses:
        return None, problems
    return {"match": match, "conditions": normal}, problems


@dataclass(frozen=True)
class Verdict:
    matched: bool
    reason: str  # the clause that decided, in words


def _holds(op: str, actual: Any, wanted: Any) -> bool:
    if op == "is_set":
        return actual not in (None, "", [])
    if op == "is_not_set":
        return actual in (None, "", [])
    if op == "eq":
        return bool(actual == wanted)
    if op == "ne":
        return bool(actual != wanted)
    if op == "in":
        return actual in wanted
    if op == "not_in":
        return actual not in wanted
    if op == "contains":
        if isinstance(actual, list):
            return wanted in actual
        return actual is not None and str(wanted).lower() in str(actual).lower()
    if actual is None or wanted is None:
        return False
    try:
        if op == "gt":
            return bool(actual > wanted)
        if op == "gte":
            return bool(actual >= wanted)
        if op == "lt":
            return bool(actual < wanted)
        return bool(actual <= wanted)
    except TypeError:
        return False


def describe(clause: Mapping[str, Any]) -> str:
    if clause["op"] in NO_VALUE:
        return f"{clause['field']} {clause['op']}"
    return f"{clause['field']} {clause['op']} {clause['value']!r}"


def evaluate(
    condition: Mapping[str, Any] | None, values: Mapping[str, Any], fields: Mapping[str, str]
) -> Verdict:
    """Whether the condition holds for ``values``, and why (or why not)."""
    if is_empty(condition):
        return Verdict(False, "no condition")
    assert condition is not None
    results = []
    for clause in condition["conditions"]:
        kind = fields.get(clause["field"], TEXT)
        try:
            actual = coerce(kind, values.get(clause["field"]))
            wanted: Any = clause.get("value")
            if clause["op"] in LIST_OPS:
                wanted = [coerce(kind, v) for v in wanted or []]
            elif clause["op"] not in NO_VALUE:
                wanted = coerce(kind, wanted)
            held = _holds(clause["op"], actual, wanted)
        except BadValue:
            actual, held = values.get(clause["field"]), False
        shown = "not set" if actual in (None, "") else repr(_plain(actual))
        results.append((held, f"{describe(clause)} (it is {shown})"))
    if condition.get("match", "all") == "any":
        for held, said in results:
            if held:
                return Verdict(True, said)
        return Verdict(False, "none held: " + "; ".join(said for _h, said in results))
    for held, said in results:
        if not held:
            return Verdict(False, said)
    return Verdict(True, "; ".join(said for _h, said in results))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
