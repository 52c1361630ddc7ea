"""Quotations in the global search (core.search, decision 0026), seen as their access rule
allows."""

from __future__ import annotations

from opportune.core.search import Searchable, joined, register_searchable
from opportune.selling.access import quotations_visible_to


def register() -> None:
    register_searchable(
        Searchable(
            doctype="Quotation",
            key="quotations",
            label="Quotations",
            visible_to=quotations_visible_to,
            columns=("title", "party_name", "customer_name", "status", "contact_email"),
            title=lambda row: row["title"] or row["customer_name"] or row["party_name"],
            subtitle=lambda row: joined(
                row["customer_name"] or row["party_name"], row["status"], row["contact_email"]
            ),
            page="selling:quotation_detail",
        )
    )
