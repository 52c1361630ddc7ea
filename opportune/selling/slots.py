"""What selling shows on pages of lower apps (registered in ``SellingConfig.ready``): its
navigation entries, Make Quotation on an opportunity, and the quotations and sales orders made
from an opportunity."""

from __future__ import annotations

from django.urls import reverse

from opportune.core.slots import Action, LinkedDocument, LinkedDocuments, NavLink
from opportune.selling import access

MAX_LINKED = 50


def nav_links(user) -> list[NavLink]:
    if not access.can_read_selling(user):
        return []
    return [
        NavLink("Quotations", reverse("selling:quotation_list"), ("/selling/quotations/",), 10),
        NavLink(
            "Sales Orders", reverse("selling:sales_order_list"), ("/selling/sales-orders/",), 20
        ),
    ]


def opportunity_actions(user, opportunity) -> list[Action]:
    if opportunity.status == "Lost" or not access.can_write_selling(user):
        return []
    url = reverse("selling:opportunity_make_quotation", args=[opportunity.name])
    return [Action("Make Quotation", url, order=10)]


def opportunity_documents(user, opportunity) -> LinkedDocuments:
    quotations = (
        access.quotations_visible_to(user)
        .filter(opportunity=opportunity)
        .select_related("currency")
        .order_by("-creation")[:MAX_LINKED]
    )
    orders = (
        access.sales_orders_visible_to(user)
        .filter(opportunity=opportunity)
        .select_related("currency")
        .order_by("-creation")[:MAX_LINKED]
    )
    rows = [_row(q, "selling:quotation_detail", 10) for q in quotations]
    rows += [_row(o, "selling:sales_order_detail", 20) for o in orders]
    return LinkedDocuments(rows=rows)


def _row(document, url_name: str, order: int) -> LinkedDocument:
    return LinkedDocument(
        doctype=document.doctype,
        name=document.name,
        url=reverse(url_name, args=[document.name]),
        party=document.customer_name,
        status=document.status,
        currency=document.currency_id,
        grand_total=document.grand_total,
        precision=document.currency.precision,
        order=order,
    )
