"""Suppliers in the global search (core.search, decision 0026), seen as their access rule
allows."""

from __future__ import annotations

from opportune.buying.access import suppliers_visible_to
from opportune.core.search import Searchable, joined, register_searchable


def register() -> None:
    register_searchable(
        Searchable(
            doctype="Supplier",
            key="suppliers",
            label="Suppliers",
            visible_to=suppliers_visible_to,
            columns=("supplier_name", "email_id", "phone"),
            title=lambda row: row["supplier_name"],
            subtitle=lambda row: joined(row["email_id"], row["phone"]),
            page="buying:supplier_detail",
        )
    )
