"""What the masters offer to import (core.imports, decision 0030): items, through
``create_master`` as the pages and the API (in chunks through its bulk twin
``create_masters``), with ERPNext's labels and field names known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opportune.core.errors import DomainError
from opportune.core.imports import Importer, columns, register_importer
from opportune.masters.access import can_manage_items
from opportune.masters.models import Item
from opportune.masters.services import ITEM, create_master, create_masters

if TYPE_CHECKING:
    from opportune.core.users import User

# ERPNext's label (and its field name where it is not ours) -> our field
ERPNEXT_ITEM = {
    "Item Code": "item_code",
    "ID": "item_code",
    "Item Name": "item_name",
    "Item Group": "item_group",
    "Description": "description",
    "Brand": "brand",
    "Default Unit of Measure": "stock_uom",
    "Stock UOM": "stock_uom",
    "UOM": "stock_uom",
    "Standard Selling Rate": "standard_rate",
    "Standard Rate": "standard_rate",
    "Is Sales Item": "is_sales_item",
    "Is Purchase Item": "is_purchase_item",
    "Disabled": "disabled",
}
LABELS = {"item_code": "Item Code", "stock_uom": "Default Unit of Measure"}


def _create_item(data: dict[str, Any], by: User) -> Item:
    return create_master(ITEM, data=data, by=by)


def _create_items(rows: list[dict[str, Any]], by: User, write: bool) -> list[Item | DomainError]:
    """``create_masters(ITEM)``, ``create_master``'s bulk twin."""
    return create_masters(ITEM, rows, by=by, write=write)


def register() -> None:
    names = ["item_code", *ITEM.fields]
    register_importer(
        Importer(
            doctype="Item",
            label="Items",
            columns=columns(Item, names, ERPNEXT_ITEM, required=("item_code",), labels=LABELS),
            create=_create_item,
            create_many=_create_items,
            may_import=can_manage_items,
            key_headers=(),
        )
    )
