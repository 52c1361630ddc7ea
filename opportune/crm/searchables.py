"""The CRM's documents in the global search (core.search, decision 0026): leads, customers,
contacts and opportunities, each seen as its access rule allows, titled from its own columns."""

from __future__ import annotations

from opportune.core.search import Row, Searchable, joined, page_url, register_searchable
from opportune.crm.access import (
    contacts_visible_to,
    customers_visible_to,
    leads_visible_to,
    opportunities_visible_to,
)


def _contact_url(row: Row) -> str | None:
    """A contact has no page of its own: it is on its lead's, customer's or supplier's."""
    return page_url(row["link_doctype"], row["link_name"]) if row["link_doctype"] else None


def register() -> None:
    register_searchable(
        Searchable(
            doctype="Lead",
            key="leads",
            label="Leads",
            visible_to=leads_visible_to,
            columns=("lead_name", "company_name", "email_id", "phone", "mobile_no", "status"),
            title=lambda row: row["lead_name"],
            subtitle=lambda row: joined(
                row["company_name"], row["email_id"], row["mobile_no"] or row["phone"]
            ),
            page="crm:lead_detail",
        )
    )
    register_searchable(
        Searchable(
            doctype="Customer",
            key="customers",
            label="Customers",
            visible_to=customers_visible_to,
            columns=("customer_name", "email_id", "phone", "mobile_no"),
            title=lambda row: row["customer_name"],
            subtitle=lambda row: joined(row["email_id"], row["mobile_no"] or row["phone"]),
            page="crm:customer_detail",
        )
    )
    register_searchable(
        Searchable(
            doctype="Contact",
            key="contacts",
            label="Contacts",
            visible_to=contacts_visible_to,
            columns=(
                "first_name",
                "last_name",
                "email_id",
                "phone",
                "mobile_no",
                "link_doctype",
                "link_name",
            ),
            title=lambda row: f"{row['first_name']} {row['last_name']}".strip(),
            subtitle=lambda row: joined(
                row["link_name"], row["email_id"], row["mobile_no"] or row["phone"]
            ),
            page=None,
            url=_contact_url,
        )
    )
    register_searchable(
        Searchable(
            doctype="Opportunity",
            key="opportunities",
            label="Opportunities",
            visible_to=opportunities_visible_to,
            columns=("title", "party_name", "customer_name", "status", "contact_email"),
            title=lambda row: row["title"] or row["customer_name"] or row["party_name"],
            subtitle=lambda row: joined(
                row["customer_name"] or row["party_name"], row["status"], row["contact_email"]
            ),
            page="crm:opportunity_detail",
        )
    )
