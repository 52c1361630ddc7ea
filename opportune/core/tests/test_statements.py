"""Compiled statements (core/statements.py): a kept statement answers what the queryset answers,
with new values, on both databases; what it cannot keep runs through the ORM; verify mode (on
in the tests) fails a key that misses what the SQL depends on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Count, F, Model, QuerySet, TextChoices
from django.db.models.functions import Now
from django.db.models.sql import UpdateQuery
from django.db.models.sql.compiler import SQLCompiler, SQLInsertCompiler
from django.test.utils import CaptureQueriesContext

from opportune.accounts.models import ApiToken
from opportune.core import statements
from opportune.core.models import Comment, KeptInserts, NamingSeries
from opportune.core.statements import (
    Placeholders,
    StatementMismatchError,
    UnsupportedStatementError,
    execute,
    fetch,
)
from opportune.crm.models import Customer
from opportune.masters.models import Currency

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh() -> None:
    statements.clear()


@pytest.fixture
def users() -> list[User]:
    sales = Group.objects.get_or_create(name="Sales User")[0]
    made = [User.objects.create_user(f"st{i}", email=f"st{i}@example.com") for i in range(3)]
    made[0].groups.add(sales)
    return made


def _by_name(v: Placeholders) -> QuerySet[User]:
    return User.objects.filter(username=v.name).order_by("pk")


def test_values_values_list_flat_and_models_match_the_orm(users: list[User]) -> None:
    shapes = {
        "values": lambda v: _by_name(v).values("id", "username", "date_joined"),
        "tuples": lambda v: _by_name(v).values_list("username", "id"),
        "flat": lambda v: _by_name(v).values_list("id", flat=True),
        "named": lambda v: _by_name(v).values_list("username", named=True),
        "models": _by_name,
    }
    for shape, build in shapes.items():
        for user in users:  # the first call compiles, the others re-use it
            kept = fetch(("test", shape), build, name=user.username)
            fresh = list(build(statements.Placeholders({"name": user.username})))
            assert kept == fresh, shape
            if shape == "models":
                assert kept[0].username == user.username and kept[0].pk == user.pk
                assert kept[0]._state.adding is False and kept[0]._state.db == "default"
    assert fetch(("test", "flat"), shapes["flat"], name="nobody") == []


def test_one_query_per_call_and_no_compilation_after_the_first(
    users: list[User], settings: Any, monkeypatch: Any
) -> None:
    settings.STATEMENTS_VERIFY = False  # verify mode compiles every call again
    compiled: list[str] = []
    as_sql = SQLCompiler.as_sql

    def counted(compiler: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(compiler.query.model.__name__)
        return as_sql(compiler, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    build = lambda v: _by_name(v).values_list("id", flat=True)  # noqa: E731
    assert fetch("test.count", build, name=users[0].username) == [users[0].pk]
    assert compiled == ["User"]  # the first call compiles it
    compiled.clear()
    with CaptureQueriesContext(connection) as queries:
        assert fetch("test.count", build, name=users[1].username) == [users[1].pk]
    assert len(queries) == 1
    assert compiled == []  # the second runs the kept SQL with its own value


def test_select_related_and_annotations_on_model_rows(users: list[User]) -> None:
    token, raw = ApiToken.issue(users[0], "statements")

    def build(v: Placeholders) -> QuerySet[Any]:
        return (
            ApiToken.objects.select_related("user")
            .filter(key_hash=v.key_hash)
            .annotate(group=F("user__groups__name"))
            .order_by()
        )

    fetch("test.token", build, key_hash="nothing")
    rows = fetch("test.token", build, key_hash=token.key_hash)
    assert [(row.pk, row.user.username, row.group) for row in rows] == [
        (token.pk, "st0", "Sales User")
    ]


def test_lists_are_keyed_by_their_length_and_repeats_go_through_the_orm(users: list[User]) -> None:
    def build(v: Placeholders) -> QuerySet[Any]:
        return User.objects.filter(pk__in=v.ids).order_by("pk").values_list("username", flat=True)

    assert fetch("test.in", build, ids=[users[0].pk]) == ["st0"]
    assert fetch("test.in", build, ids=[users[2].pk, users[1].pk]) == ["st1", "st2"]
    assert fetch("test.in", build, ids=[]) == []  # nothing to match: no query
    # IN drops a repeated value (one parameter fewer): the ORM answers it, nothing is kept
    assert fetch("test.in", build, ids=[users[0].pk, users[0].pk]) == ["st0"]
    assert fetch("test.in", build, ids=[users[1].pk, users[2].pk]) == ["st1", "st2"]


def test_datetimes_and_decimals_read_back_as_the_orm_gives_them(users: list[User]) -> None:
    Currency.objects.update_or_create(
        name="XTS", defaults={"symbol": "X", "fraction_units": 100, "precision": 2}
    )
    since = datetime.now(UTC) - timedelta(days=1)

    def build(v: Placeholders) -> QuerySet[Any]:
        return (
            User.objects.filter(date_joined__gte=v.since, username=v.name)
            .values("date_joined")
            .order_by()
        )

    for user in users:
        kept = fetch("test.since", build, since=since, name=user.username)
        assert kept == [{"date_joined": user.date_joined}]
        assert kept[0]["date_joined"].tzinfo is not None
    later = datetime.now(UTC) + timedelta(days=1)
    assert fetch("test.since", build, since=later, name="st0") == []
    counted = fetch(
        "test.count_annotation",
        lambda v: User.objects.filter(username=v.name).annotate(n=Count("groups")).values("n"),
        name="st0",
    )
    assert counted == [{"n": 1}]
    precision = fetch(
        "test.currency",
        lambda v: Currency.objects.filter(name=v.name).values_list("precision", flat=True),
        name="XTS",
    )
    assert precision == [2]
    assert not isinstance(precision[0], Decimal)


def test_a_placeholder_inside_a_pattern_is_not_kept(users: list[User], settings: Any) -> None:
    build = lambda v: User.objects.filter(username__icontains=v.text).values_list(  # noqa: E731
        "username", flat=True
    )
    with pytest.raises(UnsupportedStatementError):
        fetch("test.like", build, text="st1")
    settings.STATEMENTS_VERIFY = False  # production: the ORM answers, nothing is kept wrongly
    statements.clear()
    assert fetch("test.like", build, text="st1") == ["st1"]
    assert fetch("test.like", build, text="st2") == ["st2"]


def test_verify_mode_fails_a_key_that_misses_what_the_sql_depends_on(users: list[User]) -> None:
    def build_for(active: bool) -> Callable[[Placeholders], QuerySet[Any]]:
        return lambda v: User.objects.filter(username=v.name, is_staff=active).values("id")

    fetch("test.missing", build_for(False), name="st0")
    with pytest.raises(StatementMismatchError):
        fetch("test.missing", build_for(True), name="st0")
    # with the flag in the key, each shape is its own statement
    assert fetch(("test.keyed", False), build_for(False), name="st0") == [{"id": users[0].pk}]
    assert fetch(("test.keyed", True), build_for(True), name="st0") == []


def test_none_and_booleans_belong_in_the_key() -> None:
    with pytest.raises(UnsupportedStatementError):
        fetch("test.none", lambda v: User.objects.filter(last_login=v.when), when=None)
    with pytest.raises(UnsupportedStatementError):
        fetch("test.bool", lambda v: User.objects.filter(is_staff=v.staff), staff=True)


def test_a_q_template_keeps_the_shape_and_names_the_values() -> None:
    from django.db.models import Q

    from opportune.core.statements import q_from, q_template

    q = Q(status__in=["Open", "Lost"], amount__gte=Decimal("5.5")) | ~Q(
        last_login__isnull=True, is_staff=False
    )
    template = q_template(q)
    assert template is not None
    shape, values = template
    assert values == {"q0": Decimal("5.5"), "q1": ["Open", "Lost"]}  # None/bool: in the shape
    assert q_from(shape, Placeholders(values)) == q
    # the same shape with other values: the same key
    other = q_template(
        Q(status__in=["Quotation", "Won"], amount__gte=Decimal("1"))
        | ~Q(last_login__isnull=True, is_staff=False)
    )
    assert other is not None and other[0] == shape
    assert q_template(Q(amount__gte=F("probability"))) is None  # an expression: the ORM's


def test_a_str_subclass_is_a_str(users: list[User]) -> None:
    from django.utils.safestring import mark_safe

    def build(v: Placeholders) -> QuerySet[Any]:
        return _by_name(v).values_list("username", flat=True)

    assert fetch("test.safe", build, name=mark_safe("st1")) == ["st1"]
    assert fetch("test.safe", build, name="st2") == ["st2"]


def test_an_integer_of_a_positive_field_is_a_value_not_an_empty_statement() -> None:
    # a placeholder outside the field's range would make Django drop the lookup: "no rows",
    # kept for every value
    NamingSeries.objects.create(prefix="T-", current=7)

    def build(v: Placeholders) -> QuerySet[Any]:
        return NamingSeries.objects.filter(current=v.n).values_list("prefix", flat=True)

    assert fetch("test.positive", build, n=8) == []
    assert fetch("test.positive", build, n=7) == ["T-"]


def test_an_integer_that_may_be_out_of_its_field_range_is_not_kept_as_empty(
    settings: Any,
) -> None:
    def build(v: Placeholders) -> QuerySet[Any]:  # a small integer: the placeholder is outside
        return Currency.objects.filter(precision=v.places).values_list("pk", flat=True)

    if connection.vendor == "postgresql":  # SQLite's integers have one range: 64 bits
        with pytest.raises(UnsupportedStatementError):
            fetch("test.small", build, places=2)
    settings.STATEMENTS_VERIFY = False  # production: the ORM answers
    statements.clear()
    Currency.objects.update_or_create(name="ZZZ", defaults={"precision": 3})
    assert "ZZZ" in fetch("test.small", build, places=3)


def _claim(v: Placeholders) -> tuple[str, list[Any]]:
    """An UPDATE ... RETURNING of a naming series, compiled from a query."""
    query = NamingSeries.objects.filter(prefix=v.prefix, current=v.current).query
    update = cast(UpdateQuery, query.chain(UpdateQuery))
    update.add_update_values({"current": F("current") + v.step})
    sql, params = update.get_compiler("default").as_sql()
    return f"{sql} RETURNING {connection.ops.quote_name('current')}", list(params)


def test_a_kept_write_runs_with_new_values_and_answers_what_it_returns() -> None:
    for prefix in ("A-", "B-"):
        NamingSeries.objects.create(prefix=prefix, current=1)
    assert execute("test.claim", _claim, prefix="A-", current=1, step=5) == [(6,)]
    with CaptureQueriesContext(connection) as queries:
        assert execute("test.claim", _claim, prefix="B-", current=1, step=2) == [(3,)]
        assert execute("test.claim", _claim, prefix="B-", current=1, step=2) == []  # stale
    assert len(queries) == 2
    assert dict(NamingSeries.objects.values_list("prefix", "current")) == {"A-": 6, "B-": 3}


def test_verify_mode_fails_a_kept_write_whose_key_misses_what_its_sql_depends_on() -> None:
    NamingSeries.objects.create(prefix="A-", current=1)

    def build_for(guarded: bool) -> Callable[[Placeholders], tuple[str, list[Any]]]:
        def build(v: Placeholders) -> tuple[str, list[Any]]:
            rows = NamingSeries.objects.filter(prefix=v.prefix)
            rows = rows.filter(current__lt=1000) if guarded else rows
            update = cast(UpdateQuery, rows.query.chain(UpdateQuery))
            update.add_update_values({"current": v.current})
            sql, params = update.get_compiler("default").as_sql()
            return sql, list(params)

        return build

    execute("test.write", build_for(False), prefix="A-", current=2)
    with pytest.raises(StatementMismatchError):
        execute("test.write", build_for(True), prefix="A-", current=3)
    with pytest.raises(UnsupportedStatementError):  # None is SQL (= NULL): it goes in the key
        execute("test.write", build_for(False), prefix="A-", current=None)


def test_a_choice_is_a_value_of_its_kind(users: list[User]) -> None:
    class Name(TextChoices):
        FIRST = "st0"
        SECOND = "st1"

    def build(v: Placeholders) -> QuerySet[Any]:
        return User.objects.filter(username__in=v.names).values_list("username", flat=True)

    assert fetch("test.choice", build, names=[Name.FIRST]) == ["st0"]
    assert fetch("test.choice", build, names=["st1"]) == ["st1"]


@pytest.fixture
def inserts(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The models whose INSERT Django compiles from now on, verify mode off (it compiles every
    kept statement again)."""
    settings.STATEMENTS_VERIFY = False
    found: list[str] = []
    as_sql = SQLInsertCompiler.as_sql

    def counted(compiler: SQLInsertCompiler, *args: Any, **kwargs: Any) -> Any:
        found.append(str(compiler.query.get_meta().object_name))
        return as_sql(compiler, *args, **kwargs)

    monkeypatch.setattr(SQLInsertCompiler, "as_sql", counted)
    return found


def _comment(content: str, owner: User | None) -> Comment:
    when = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    return Comment(
        reference_doctype="Lead", reference_name="L-1", content=content, owner=owner, creation=when
    )


def _saved(comment: Comment) -> tuple[str, dict[str, Any]]:
    """The INSERT a save ran, and the row it wrote (its key, as the save set it)."""
    with CaptureQueriesContext(connection) as queries:
        comment.save()
    (insert,) = queries.captured_queries
    return insert["sql"], dict(Comment.objects.filter(pk=comment.pk).values().get())


def test_a_kept_insert_runs_what_django_runs_and_sets_the_key_it_returns(
    users: list[User], monkeypatch: pytest.MonkeyPatch
) -> None:
    _saved(_comment("first", users[0]))  # compiles and keeps the INSERT
    kept = [_saved(_comment("again", owner)) for owner in (users[1], None)]
    # Django's own (private: not in the stubs)
    monkeypatch.setattr(KeptInserts, "_do_insert", Model._do_insert)  # type: ignore[attr-defined]
    django = [_saved(_comment("again", owner)) for owner in (users[1], None)]
    for (kept_sql, kept_row), (django_sql, django_row) in zip(kept, django, strict=True):
        assert kept_sql == django_sql
        assert kept_row.pop("id") < django_row.pop("id")
        assert kept_row == django_row
    assert kept[0][1]["owner_id"] == users[1].pk
    assert kept[1][1]["owner_id"] is None
    assert Comment.objects.count() == 5


def test_a_second_insert_compiles_nothing_a_document_and_its_history_record_too(
    users: list[User], inserts: list[str]
) -> None:
    for number in range(3):
        if number == 2:
            inserts.clear()
        _comment(f"comment {number}", users[0]).save()
        customer = Customer(name=f"CUST-{number}", customer_name=f"Customer {number}")
        customer._history_user = users[0] if number else None
        customer.save()
    assert inserts == ["SearchEntry"]  # its text's upsert: a bulk_create, not a save
    assert Comment.objects.count() == 3
    record = Customer.history.get(name="CUST-2")
    assert (record.customer_name, record.history_type, record.history_user_id) == (
        "Customer 2",
        "+",
        users[0].pk,
    )
    assert record.history_id > Customer.history.get(name="CUST-1").history_id


def test_an_expression_goes_to_django_and_its_row_is_djangos(
    users: list[User], inserts: list[str]
) -> None:
    _comment("kept", users[0]).save()
    inserts.clear()
    comment = _comment("now", users[0])
    comment.creation = Now()
    comment.save()
    comment.refresh_from_db()
    assert inserts == ["Comment"]
    assert comment.content == "now"
    assert abs(comment.creation - datetime.now(UTC)) < timedelta(minutes=1)
    _comment("kept again", users[0]).save()  # the kept statement is still there
    assert inserts == ["Comment"]


def test_verify_mode_fails_a_kept_insert_whose_key_misses_what_its_sql_depends_on() -> None:
    def build_for(table: str) -> Callable[[Placeholders], tuple[str, list[Any]]]:
        def build(v: Placeholders) -> tuple[str, list[Any]]:
            return f"INSERT INTO {table} (prefix, current) VALUES (%s, %s)", ["A-", 1]

        return build

    execute("test.insert", build_for("core_namingseries"), ["A-", 1])
    with pytest.raises(StatementMismatchError):
        execute("test.insert", build_for("core_namingseries_other"), ["A-", 1])
    with pytest.raises(UnsupportedStatementError):  # a compilation with other parameters
        execute("test.insert.other", build_for("core_namingseries"), ["B-", 1])
    assert list(NamingSeries.objects.values_list("prefix", "current")) == [("A-", 1)]
