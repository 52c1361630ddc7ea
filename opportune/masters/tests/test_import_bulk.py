"""Items imported in bulk (``create_masters(ITEM)``, create_master's twin, decision 0030) are
what one row at a time through ``create_master`` makes: the same outcomes and errors by field,
the same items, history records (by the importer, through the door "import"); all or nothing
with one bad row changes nothing; a batch costs the same few queries whatever its size."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from opportune.core import imports
from opportune.core.errors import ConflictError, ValidationError
from opportune.core.models import ImportJob, SearchEntry
from opportune.core.tests.test_imports import check, csv_file, upload
from opportune.masters.models import UOM, Item, ItemGroup
from opportune.masters.services import ITEM, create_masters
from opportune.testing import client_for, make_item

pytestmark = pytest.mark.django_db

ROWS = [
    [
        "Item Code",
        "Item Name",
        "Item Group",
        "Default Unit of Measure",
        "Standard Selling Rate",
        "Is Sales Item",
    ],
    ["BOLT", "Bolt", "Hardware", "Nos", "2.5", "yes"],
    ["NUT", "", "", "", "", ""],  # named after its code, the default UOM and rate
    ["WIDGET", "Widget again", "", "", "", ""],  # an item here has the code
    ["BOLT", "Bolt twice", "", "", "", ""],  # a code made earlier in the same file
    ["X1", "", "Nowhere", "", "", ""],
    ["X2", "", "", "Crate", "", ""],  # a disabled UOM
    ["X3", "", "", "Parsec", "", ""],
    ["X4", "", "", "", "-3", ""],
    ["X5", "", "", "", "abc", ""],
    ["A" * 141, "", "", "", "", ""],
    ["", "Nameless", "", "", "", ""],
    ["X6", "", "", "", "", "perhaps"],  # a cell the engine cannot read
    ["LAST", "Last one", "", "Kg", "1000000.1234", "no"],
]


def _snapshot(job: ImportJob, *, names: bool = True) -> dict[str, Any]:
    job.refresh_from_db()
    outcomes: list[Any] = list(
        job.outcomes.order_by("row").values_list("row", "outcome", "name", "errors")
    )
    fields = [f.attname for f in Item._meta.concrete_fields]
    return {
        "job": (job.status, job.succeeded, job.failed),
        "outcomes": outcomes if names else [(r, o, e) for r, o, _, e in outcomes],
        "items": list(Item.objects.order_by("name").values(*fields)),
        "history": list(
            Item.history.order_by("name").values_list(
                "name",
                "history_type",
                "history_door",
                "history_user",
                "item_name",
                "standard_rate",
                "stock_uom",
                "item_group",
            )
        ),
        "search": list(SearchEntry.objects.values_list("doctype", "name", "text")),
    }


def _run(client, mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    job = upload(client, "Item", csv_file(ROWS))
    check(client, job)
    checked = _snapshot(job, names=False)
    client.post(f"/import/{job.pk}/run/", {"mode": mode})
    return checked, _snapshot(job)


@pytest.mark.parametrize("mode", ["valid", "all"])
def test_items_in_bulk_are_what_one_by_one_makes(manager, monkeypatch, mode):
    make_item("WIDGET", rate="10")
    ItemGroup.objects.create(name="Hardware")
    UOM.objects.create(name="Crate", enabled=False)
    client = client_for(manager)
    one_by_one = dataclasses.replace(imports._IMPORTERS["Item"], create_many=None)
    with transaction.atomic():
        with monkeypatch.context() as patch:
            patch.setitem(imports._IMPORTERS, "Item", one_by_one)
            old_check, old = _run(client, mode)
        transaction.set_rollback(True)
    assert imports._IMPORTERS["Item"].create_many is not None
    new_check, new = _run(client, mode)
    assert new_check == old_check
    for key in old:
        assert new[key] == old[key], key
    checked = {row: errors for row, _, errors in new_check["outcomes"] if errors}
    assert 5 not in checked  # a dry run makes nothing: the file's second BOLT is not taken yet
    errors = {row: errors for row, _, _, errors in new["outcomes"] if errors}
    assert errors[4] == {"item_code": ["Item 'WIDGET' already exists."]}
    assert errors[6] == {"item_group": ["Item Group 'Nowhere' does not exist."]}
    assert errors[7] == {"stock_uom": ["UOM 'Crate' is disabled."]}
    assert errors[9] == {"standard_rate": ["The rate cannot be negative."]}
    assert "standard_rate" in errors[10] and "item_code" in errors[11] and "name" in errors[12]
    assert "is_sales_item" in errors[13]
    assert errors[5] == {"item_code": ["Item 'BOLT' already exists."]}  # made just before
    if mode == "valid":
        made = [name for _, outcome, name, _ in new["outcomes"] if outcome == "created"]
        assert made == ["BOLT", "NUT", "LAST"]
        assert {h[0]: h[1:4] for h in new["history"] if h[0] != "WIDGET"} == dict.fromkeys(
            made, ("+", "import", manager.pk)
        )
        nut = next(i for i in new["items"] if i["name"] == "NUT")
        assert (nut["item_name"], nut["stock_uom_id"]) == ("NUT", "Nos")
    else:
        assert [i["name"] for i in new["items"]] == ["WIDGET"] and new["job"][0] == "failed"
        assert [h[0] for h in new["history"]] == ["WIDGET"]


def _rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "item_code": f"Q{start + i:04d}",
            "item_name": f"Item {i}",
            "item_group": "Hardware",
            "stock_uom": "Nos",
            "standard_rate": "2.5",
        }
        for i in range(n)
    ]


def test_a_batch_of_items_costs_the_same_queries_whatever_its_size(manager):
    """A chunk: the UOMs and item groups it names (one query each), the codes already taken
    (one), the items (one statement) and their history records (one)."""
    ItemGroup.objects.create(name="Hardware")
    counts = []
    for n, start in ((2, 0), (40, 100)):
        with CaptureQueriesContext(connection) as queries:
            made = create_masters(ITEM, _rows(n, start), by=manager)
        assert all(isinstance(m, Item) for m in made)
        counts.append(len(queries))
    assert counts == [5, 5]
    with CaptureQueriesContext(connection) as queries:
        checked = create_masters(ITEM, _rows(40, 100), by=manager, write=False)
    assert len(queries) == 3 and all(isinstance(c, ConflictError) for c in checked)


def test_a_bad_row_is_refused_as_create_master_refuses_it(manager):
    answers = create_masters(
        ITEM, [{"item_code": "OK"}, {"item_code": "BAD", "colour": "red"}], by=manager
    )
    assert isinstance(answers[0], Item) and isinstance(answers[1], ValidationError)
    assert answers[1].fields == {"colour": ["This field is not known or cannot be written."]}
    assert Item.history.get(name="OK").history_user == manager
