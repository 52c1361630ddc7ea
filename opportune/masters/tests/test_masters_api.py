"""The masters' JSON API: currencies, exchange rates, UOMs, items, territories, groups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opportune.masters.models import (
    UOM,
    Currency,
    CurrencyExchange,
    CustomerGroup,
    Industry,
    Item,
    ItemGroup,
    Territory,
)
from opportune.testing import make_customer, make_item, make_opportunity, make_rate

pytestmark = pytest.mark.django_db


def snapshot(model):
    return list(model.objects.order_by("pk").values())


# --- currencies --------------------------------------------------------------------------------
def test_currency_crud_by_a_manager(manager, api_as):
    api = api_as(manager)
    r = api.post(
        "currencies", {"name": "QQA", "currency_name": "Test Coin", "symbol": "T", "precision": 3}
    )
    assert r.status_code == 201, r.content
    assert r.json() == {
        "name": "QQA",
        "currency_name": "Test Coin",
        "symbol": "T",
        "precision": 3,
        "enabled": True,
    }

    r = api.get("currencies/QQA")
    assert r.status_code == 200
    assert r.json()["currency_name"] == "Test Coin"

    r = api.patch("currencies/QQA", {"enabled": False, "symbol": "TC"})
    assert r.status_code == 200, r.content
    assert r.json() == {
        "name": "QQA",
        "currency_name": "Test Coin",
        "symbol": "TC",
        "precision": 3,
        "enabled": False,
    }
    assert Currency.objects.get(pk="QQA").enabled is False

    r = api.delete("currencies/QQA")
    assert r.status_code == 204
    assert not Currency.objects.filter(pk="QQA").exists()


def test_currency_list_filters_search_and_pages(sales, api_as):
    api = api_as(sales)
    r = api.get("currencies", name="EUR,USD,JPY")
    assert r.status_code == 200
    assert [c["name"] for c in r.json()["results"]] == ["EUR", "JPY", "USD"]
    assert r.json()["results"][1] == {
        "name": "JPY",
        "currency_name": "Yen",
        "symbol": "¥",
        "precision": 0,
        "enabled": True,
    }

    first = api.get("currencies", limit=2, enabled="true", ordering="name")
    second = api.get(
        "currencies", limit=2, enabled="true", ordering="name", cursor=first.json()["next_cursor"]
    )
    names = [c["name"] for c in first.json()["results"] + second.json()["results"]]
    expected = list(
        Currency.objects.filter(enabled=True).order_by("name").values_list("name", flat=True)[:4]
    )
    assert names == expected

    r = api.get("currencies", q="yen", with_count="1")
    assert [c["name"] for c in r.json()["results"]] == ["JPY"]
    assert r.json()["count"] == 1


def test_every_staff_role_reads_currencies(manager, sales, purchaser, api_as):
    for user in (manager, sales, purchaser):
        r = api_as(user).get("currencies/EUR")
        assert r.status_code == 200, user
        assert r.json()["precision"] == 2


def test_outsider_sees_no_masters(outsider, api_as):
    api = api_as(outsider)
    r = api.get("currencies")
    assert r.status_code == 200
    assert r.json() == {"results": [], "next_cursor": None, "count": None}
    assert api.get("currencies/EUR").status_code == 404
    assert api.get("items").json()["results"] == []
    # writes are refused by role before the master (or the body) is looked at
    before = snapshot(Currency)
    assert api.post("currencies", {"name": "QQA", "currency_name": "T"}).status_code == 403
    assert api.patch("currencies/EUR", {"enabled": False}).status_code == 403
    assert api.delete("currencies/EUR").status_code == 403
    assert snapshot(Currency) == before


def test_no_token_is_401(db, api_as):
    api = api_as(None)
    for call in (
        lambda: api.get("currencies"),
        lambda: api.get("currencies/EUR"),
        lambda: api.post("currencies", {"name": "QQA", "currency_name": "T"}),
        lambda: api.patch("currencies/EUR", {"enabled": False}),
        lambda: api.delete("currencies/EUR"),
        lambda: api.get("currency-exchanges"),
        lambda: api.get("items"),
        lambda: api.get("uoms"),
        lambda: api.get("territories/All Territories"),
    ):
        r = call()
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "not_authenticated"


def test_sales_user_cannot_write_currencies(sales, api_as):
    api = api_as(sales)
    before = snapshot(Currency)
    r = api.post("currencies", {"name": "QQA", "currency_name": "Test"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "permission_denied"
    assert api.patch("currencies/EUR", {"enabled": False}).status_code == 403
    assert api.delete("currencies/EUR").status_code == 403
    assert snapshot(Currency) == before


def test_unknown_currency_is_404(manager, api_as):
    api = api_as(manager)
    for r in (
        api.get("currencies/XXQ"),
        api.patch("currencies/XXQ", {"enabled": False}),
        api.delete("currencies/XXQ"),
    ):
        assert r.status_code == 404
        assert r.json()["error"] == {
            "code": "not_found",
            "message": "Currency XXQ not found.",
            "fields": {},
        }


@pytest.mark.parametrize("resource", ["currencies", "uoms", "items", "territories", "lost-reasons"])
def test_a_name_with_a_nul_is_simply_not_found(manager, api_as, resource):
    """PostgreSQL refuses NUL in a text literal: the lookup must not ask it (was a 500)."""
    api = api_as(manager)
    for r in (api.get(f"{resource}/X%00Y"), api.delete(f"{resource}/X%00Y")):
        assert r.status_code == 404, r.content
        assert r.json()["error"]["code"] == "not_found"


def test_duplicate_currency_is_409_naming_name(manager, api_as):
    before = snapshot(Currency)
    r = api_as(manager).post("currencies", {"name": "EUR", "currency_name": "Again"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    assert r.json()["error"]["fields"] == {"name": ["Currency 'EUR' already exists."]}
    assert snapshot(Currency) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "eur", "currency_name": "Lower"}, "name"),
        ({"name": "XT1", "currency_name": "Digit"}, "name"),
        ({"name": "QQA", "currency_name": "Five", "precision": 5}, "precision"),
        ({"name": "QQA", "currency_name": ""}, "currency_name"),
        ({"name": "QQA"}, "currency_name"),
        ({"name": "QQA", "currency_name": "T", "colour": "red"}, "colour"),
    ],
)
def test_bad_currency_is_422_naming_the_field(manager, api_as, body, field):
    before = snapshot(Currency)
    r = api_as(manager).post("currencies", body)
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "validation_error"
    assert list(r.json()["error"]["fields"]) == [field]
    assert snapshot(Currency) == before


def test_currency_patch_cannot_rename(manager, api_as):
    before = snapshot(Currency)
    r = api_as(manager).patch("currencies/EUR", {"name": "EUX"})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["name"]
    assert snapshot(Currency) == before


def test_deleting_a_used_currency_is_409(manager, api_as):
    make_rate("EUR", "USD", "1.1")
    before = snapshot(Currency)
    r = api_as(manager).delete("currencies/EUR")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    assert "Currency 'EUR' is still used (1 currency exchanges" in r.json()["error"]["message"]
    assert snapshot(Currency) == before


# --- currency exchanges ------------------------------------------------------------------------
def test_currency_exchange_crud(manager, sales, api_as):
    api = api_as(manager)
    r = api.post(
        "currency-exchanges",
        {
            "from_currency": "EUR",
            "to_currency": "USD",
            "date": "2026-03-01",
            "exchange_rate": "1.0825",
        },
    )
    assert r.status_code == 201, r.content
    exchange = CurrencyExchange.objects.get()
    assert r.json() == {
        "id": exchange.pk,
        "from_currency": "EUR",
        "to_currency": "USD",
        "date": "2026-03-01",
        "exchange_rate": "1.082500000",
    }
    assert exchange.exchange_rate == Decimal("1.0825")

    r = api_as(sales).get(f"currency-exchanges/{exchange.pk}")
    assert r.status_code == 200
    assert r.json()["exchange_rate"] == "1.082500000"

    r = api.patch(f"currency-exchanges/{exchange.pk}", {"exchange_rate": 1.09})
    assert r.status_code == 200, r.content
    assert r.json()["exchange_rate"] == "1.090000000"

    r = api.get("currency-exchanges", from_currency="EUR", date__gte="2026-01-01")
    assert [e["id"] for e in r.json()["results"]] == [exchange.pk]
    assert api.get("currency-exchanges", date__lte="2025-12-31").json()["results"] == []

    assert api.delete(f"currency-exchanges/{exchange.pk}").status_code == 204
    assert not CurrencyExchange.objects.exists()


def test_currency_exchanges_list_newest_first(sales, api_as):
    old = make_rate("EUR", "USD", "1.05", dt.date(2025, 1, 1))
    new = make_rate("EUR", "USD", "1.10", dt.date(2026, 1, 1))
    r = api_as(sales).get("currency-exchanges")
    assert [e["id"] for e in r.json()["results"]] == [new.pk, old.pk]


def test_currency_exchange_same_day_twice_is_409(manager, api_as):
    make_rate("EUR", "USD", "1.1", dt.date(2026, 3, 1))
    before = snapshot(CurrencyExchange)
    r = api_as(manager).post(
        "currency-exchanges",
        {
            "from_currency": "EUR",
            "to_currency": "USD",
            "date": "2026-03-01",
            "exchange_rate": "1.2",
        },
    )
    assert r.status_code == 409
    assert set(r.json()["error"]["fields"]) == {"from_currency", "to_currency", "date"}
    assert snapshot(CurrencyExchange) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to_currency": "USD", "date": "2026-03-01", "exchange_rate": "1"}, "from_currency"),
        (
            {
                "from_currency": "EUR",
                "to_currency": "EUR",
                "date": "2026-03-01",
                "exchange_rate": "1",
            },
            "to_currency",
        ),
        (
            {
                "from_currency": "QQQ",
                "to_currency": "USD",
                "date": "2026-03-01",
                "exchange_rate": "1",
            },
            "from_currency",
        ),
        (
            {
                "from_currency": "EUR",
                "to_currency": "USD",
                "date": "2026-03-01",
                "exchange_rate": "0",
            },
            "exchange_rate",
        ),
        (
            {
                "from_currency": "EUR",
                "to_currency": "USD",
                "date": "2026-03-01",
                "exchange_rate": "1.0000000001",
            },
            "exchange_rate",
        ),
        (
            {
                "from_currency": "EUR",
                "to_currency": "USD",
                "date": "2026-02-30",
                "exchange_rate": "1",
            },
            "date",
        ),
    ],
)
def test_bad_currency_exchange_is_422(manager, api_as, body, field):
    r = api_as(manager).post("currency-exchanges", body)
    assert r.status_code == 422, r.content
    assert list(r.json()["error"]["fields"]) == [field]
    assert not CurrencyExchange.objects.exists()


def test_currency_exchange_permissions_and_404(manager, sales, outsider, api_as):
    exchange = make_rate("EUR", "USD", "1.1")
    before = snapshot(CurrencyExchange)
    assert (
        api_as(sales).patch(f"currency-exchanges/{exchange.pk}", {"exchange_rate": "2"}).status_code
        == 403
    )
    assert api_as(sales).delete(f"currency-exchanges/{exchange.pk}").status_code == 403
    assert (
        api_as(sales)
        .post(
            "currency-exchanges",
            {
                "from_currency": "EUR",
                "to_currency": "GBP",
                "date": "2026-03-01",
                "exchange_rate": "0.8",
            },
        )
        .status_code
        == 403
    )
    assert api_as(outsider).get(f"currency-exchanges/{exchange.pk}").status_code == 404
    assert api_as(manager).get("currency-exchanges/999999").status_code == 404
    assert api_as(None).get(f"currency-exchanges/{exchange.pk}").status_code == 401
    assert snapshot(CurrencyExchange) == before


# --- UOMs ----------------------------------------------------------------------------------------
def test_uom_crud_and_errors(manager, sales, api_as):
    api = api_as(manager)
    r = api.post("uoms", {"name": "Pallet", "must_be_whole_number": True})
    assert r.status_code == 201, r.content
    assert r.json() == {
        "name": "Pallet",
        "uom_name": "Pallet",
        "must_be_whole_number": True,
        "enabled": True,
    }
    assert api.patch("uoms/Pallet", {"enabled": False}).json()["enabled"] is False
    assert api_as(sales).get("uoms/Pallet").json()["enabled"] is False
    assert api.post("uoms", {"name": "Pallet"}).status_code == 409
    assert api_as(sales).post("uoms", {"name": "Crate"}).status_code == 403
    assert api.get("uoms/Crate").status_code == 404
    r = api.post("uoms", {"name": "x" * 61})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["name"]
    make_item("BOXED", uom="Box")
    r = api.delete("uoms/Box")
    assert r.status_code == 409
    assert UOM.objects.filter(pk="Box").exists()
    assert api.delete("uoms/Pallet").status_code == 204
    assert [u["name"] for u in api.get("uoms", enabled="false").json()["results"]] == []


# --- items ---------------------------------------------------------------------------------------
def test_item_crud_by_purchase_user(purchaser, sales, api_as):
    ItemGroup.objects.create(name="Hardware")
    api = api_as(purchaser)
    r = api.post(
        "items",
        {
            "name": "BOLT-8",
            "item_group": "Hardware",
            "standard_rate": "0.35",
            "stock_uom": "Box",
            "brand": "Acme",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json() == {
        "name": "BOLT-8",
        "item_code": "BOLT-8",
        "item_name": "BOLT-8",
        "description": "",
        "item_group": "Hardware",
        "brand": "Acme",
        "stock_uom": "Box",
        "standard_rate": "0.3500",
        "is_sales_item": True,
        "is_purchase_item": True,
        "disabled": False,
    }
    r = api.patch("items/BOLT-8", {"item_name": "Bolt M8", "is_sales_item": False})
    assert r.status_code == 200, r.content
    assert r.json()["item_name"] == "Bolt M8"
    assert r.json()["is_sales_item"] is False

    listed = api_as(sales).get("items", item_group="Hardware", is_sales_item="false")
    assert [i["name"] for i in listed.json()["results"]] == ["BOLT-8"]
    assert api_as(sales).get("items", q="m8").json()["results"][0]["name"] == "BOLT-8"
    assert api.delete("items/BOLT-8").status_code == 204
    assert not Item.objects.exists()


def test_item_writes_refused_to_sales_users(manager, sales, api_as):
    make_item("WIDGET")
    before = snapshot(Item)
    api = api_as(sales)
    assert api.post("items", {"name": "NEW"}).status_code == 403
    assert api.patch("items/WIDGET", {"item_name": "X"}).status_code == 403
    assert api.delete("items/WIDGET").status_code == 403
    assert snapshot(Item) == before
    # a manager writes items too
    assert (
        api_as(manager).patch("items/WIDGET", {"standard_rate": 7}).json()["standard_rate"]
        == "7.0000"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "standard_rate": "-1"}, "standard_rate"),
        ({"name": "X", "standard_rate": "NaN"}, "standard_rate"),
        ({"name": "X", "standard_rate": "1.00001"}, "standard_rate"),
        ({"name": "X", "stock_uom": "Parsec"}, "stock_uom"),
        ({"name": "X", "item_group": "Nope"}, "item_group"),
        ({"name": "  "}, "name"),
        ({"item_name": "No code"}, "name"),
    ],
)
def test_bad_item_is_422(manager, api_as, body, field):
    r = api_as(manager).post("items", body)
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"]
    assert not Item.objects.exists()


def test_item_with_disabled_uom_is_422(manager, api_as):
    UOM.objects.filter(pk="Kg").update(enabled=False)
    r = api_as(manager).post("items", {"name": "SALT", "stock_uom": "Kg"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"stock_uom": ["UOM 'Kg' is disabled."]}


def test_item_used_on_an_opportunity_cannot_be_deleted(manager, api_as):
    make_item("W1")
    make_opportunity(manager, items=[{"item_code": "W1", "qty": 1}], with_items=True)
    r = api_as(manager).delete("items/W1")
    assert r.status_code == 409
    assert "still used (1 opportunity items" in r.json()["error"]["message"]
    assert Item.objects.filter(pk="W1").exists()


# --- territories and groups --------------------------------------------------------------------
def test_territory_tree(manager, api_as):
    api = api_as(manager)
    r = api.post("territories", {"name": "Europe", "parent_territory": "All Territories"})
    assert r.status_code == 201
    assert r.json() == {
        "name": "Europe",
        "territory_name": "Europe",
        "parent_territory": "All Territories",
    }
    assert (
        api.post("territories", {"name": "Germany", "parent_territory": "Europe"}).status_code
        == 201
    )
    assert [
        t["name"] for t in api.get("territories", parent_territory="Europe").json()["results"]
    ] == ["Germany"]
    # a cycle is refused
    r = api.patch("territories/Europe", {"parent_territory": "Germany"})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["parent_territory"]
    assert Territory.objects.get(pk="Europe").parent_territory_id == "All Territories"
    # a parent with children is in use
    r = api.delete("territories/Europe")
    assert r.status_code == 409
    assert "1 territories" in r.json()["error"]["message"]
    assert api.delete("territories/Germany").status_code == 204
    assert api.delete("territories/Europe").status_code == 204


@pytest.mark.parametrize(
    ("path", "model", "key"),
    [
        ("customer-groups", CustomerGroup, "customer_group_name"),
        ("industries", Industry, "industry"),
        ("item-groups", ItemGroup, "item_group_name"),
    ],
)
def test_name_only_masters(manager, sales, api_as, path, model, key):
    api = api_as(manager)
    r = api.post(path, {"name": " Aerospace "})
    assert r.status_code == 201, r.content
    assert r.json() == {"name": "Aerospace", key: "Aerospace"}
    assert api_as(sales).get(f"{path}/Aerospace").json() == {"name": "Aerospace", key: "Aerospace"}
    assert api.post(path, {"name": "Aerospace"}).status_code == 409
    assert api_as(sales).post(path, {"name": "Marine"}).status_code == 403
    assert api_as(sales).delete(f"{path}/Aerospace").status_code == 403
    assert api.get(f"{path}/Marine").status_code == 404
    assert api.patch(f"{path}/Aerospace", {}).status_code == 405
    assert api.delete(f"{path}/Aerospace").status_code == 204
    assert not model.objects.filter(pk="Aerospace").exists()


def test_customer_group_in_use_is_409(manager, api_as):
    make_customer(manager, customer_group="Commercial")
    r = api_as(manager).delete("customer-groups/Commercial")
    assert r.status_code == 409
    assert r.json()["error"]["message"].startswith(
        "Customer Group 'Commercial' is still used (1 customers)"
    )
    assert CustomerGroup.objects.filter(pk="Commercial").exists()


# --- ERPNext's key fields ----------------------------------------------------------------------
# Each master is also created with, and answers, the field ERPNext names it by (its ``name``).
ERPNEXT_KEYS = [
    ("items", Item, "item_code"),
    ("uoms", UOM, "uom_name"),
    ("territories", Territory, "territory_name"),
    ("customer-groups", CustomerGroup, "customer_group_name"),
    ("industries", Industry, "industry"),
    ("item-groups", ItemGroup, "item_group_name"),
]


@pytest.mark.parametrize(("path", "model", "key"), ERPNEXT_KEYS)
def test_a_master_is_created_with_its_erpnext_key_and_answers_it(
    manager, sales, api_as, path, model, key
):
    api = api_as(manager)
    r = api.post(path, {key: " Marine "})
    assert r.status_code == 201, r.content
    created = r.json()
    assert (created["name"], created[key]) == ("Marine", "Marine")
    assert model.objects.filter(pk="Marine").count() == 1
    assert api_as(sales).get(f"{path}/Marine").json() == created
    assert api_as(sales).get(path, name="Marine").json()["results"] == [created]


@pytest.mark.parametrize(("path", "model", "key"), ERPNEXT_KEYS)
def test_name_and_erpnext_key_may_both_be_sent_when_they_agree(manager, api_as, path, model, key):
    r = api_as(manager).post(path, {"name": "Marine", key: " Marine"})
    assert r.status_code == 201, r.content
    assert (r.json()["name"], r.json()[key]) == ("Marine", "Marine")
    assert model.objects.filter(pk="Marine").count() == 1


@pytest.mark.parametrize(("path", "model", "key"), ERPNEXT_KEYS)
def test_name_and_erpnext_key_that_differ_are_422_naming_the_key(manager, api_as, path, model, key):
    before = snapshot(model)
    r = api_as(manager).post(path, {"name": "Marine", key: "Naval"})
    assert r.status_code == 422, r.content
    message = f"{key} and name differ ('Naval', 'Marine'): they are the same key, send one of them."
    assert r.json()["error"] == {
        "code": "validation_error",
        "message": message,
        "fields": {key: [message]},
    }
    assert snapshot(model) == before


@pytest.mark.parametrize(("path", "model", "key"), ERPNEXT_KEYS)
def test_neither_name_nor_erpnext_key_is_422_naming_name(manager, api_as, path, model, key):
    before = snapshot(model)
    r = api_as(manager).post(path, {})
    assert r.status_code == 422, r.content
    message = f"This field is required (name or {key})."
    assert r.json()["error"] == {
        "code": "validation_error",
        "message": message,
        "fields": {"name": [message]},
    }
    r = api_as(manager).post(path, {key: ""})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == [key]
    assert snapshot(model) == before


@pytest.mark.parametrize(("path", "model", "key"), ERPNEXT_KEYS)
def test_a_taken_erpnext_key_is_409(manager, api_as, path, model, key):
    model.objects.create(name="Marine")
    before = snapshot(model)
    r = api_as(manager).post(path, {key: "Marine"})
    assert r.status_code == 409
    message = r.json()["error"]["message"]
    assert message.endswith("'Marine' already exists.")
    assert r.json()["error"] == {"code": "conflict", "message": message, "fields": {key: [message]}}
    assert snapshot(model) == before


def test_an_erpnext_key_too_long_is_422_naming_it(manager, api_as):
    r = api_as(manager).post("uoms", {"uom_name": "x" * 61})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"uom_name": ["String should have at most 60 characters"]}
    assert not UOM.objects.filter(pk="x" * 61).exists()


def test_an_item_created_with_its_item_code_speaks_erpnext(purchaser, api_as):
    r = api_as(purchaser).post(
        "items", {"item_code": "BOLT-8", "standard_rate": "0.35", "stock_uom": "Box"}
    )
    assert r.status_code == 201, r.content
    assert r.json() == {
        "name": "BOLT-8",
        "item_code": "BOLT-8",
        "item_name": "BOLT-8",  # ERPNext: the item name defaults to the item code
        "description": "",
        "item_group": None,
        "brand": "",
        "stock_uom": "Box",
        "standard_rate": "0.3500",
        "is_sales_item": True,
        "is_purchase_item": True,
        "disabled": False,
    }
    item = Item.objects.get()
    assert (item.pk, item.item_name, item.standard_rate) == ("BOLT-8", "BOLT-8", Decimal("0.35"))


def test_the_erpnext_key_cannot_be_changed_by_patch(manager, api_as):
    make_item("W1")
    before = snapshot(Item)
    r = api_as(manager).patch("items/W1", {"item_code": "W2"})
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == ["item_code"]
    assert snapshot(Item) == before
