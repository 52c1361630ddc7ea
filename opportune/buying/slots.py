"""What buying shows on pages of lower apps (registered in ``BuyingConfig.ready``): its
navigation entries, Make Supplier Quotation / Request for Quotation on an opportunity, and the
supplier quotations and requests for quotation made from an opportunity."""

from __future__ import annotations

from django.urls import reverse

from opportune.buying import access
from opportune.core.slots import Action, LinkedDocument, LinkedDocuments, NavLink

MAX_LINKED = 50


def nav_links(user) -> list[NavLink]:
    if not access.can_read_buying(user):
        return []
    return [
        NavLink(
            "Supplier Quotations",
            reverse("buying:supplier_quotation_list"),
            ("/buying/supplier-quotations/",),
            30,
        ),
        NavLink("RFQs", reverse("buying:rfq_list"), ("/buying/requests-for-quotation/",), 40),
        NavLink(
            "Suppliers",
            reverse("buying:supplier_list"),
            ("/buying/suppliers/", "/buying/supplier-groups/"),
            50,
        ),
    ]


def opportunity_actions(user, opportunity) -> list[Action]:
    if (
        opportunity.status == "Lost"
        or not access.can_write_buying(user)
        or not opportunity.items.exists()
    ):
        return []
    name = opportunity.name
    return [
        Action(
            "Make Supplier Quotation",
            reverse("buying:opportunity_make_supplier_quotation", args=[name]),
            method="get",
            order=20,
        ),
        Action(
            "Make Request for Quotation",
            reverse("buying:opportunity_make_request_for_quotation", args=[name]),
            method="get",
            order=30,
        ),
    ]


def opportunity_documents(user, opportunity) -> LinkedDocuments:
    rfqs = (
        access.requests_for_quotation_visible_to(user)
        .filter(opportunity=opportunity)
        .order_by("-creation")[:MAX_LINKED]
    )
    quotations = list(
        access.supplier_quotations_visible_to(user)
        .filter(opportunity=opportunity)
        .select_related("currency")
        .order_by("-creation")[:MAX_LINKED]
    )
    rows = [
        LinkedDocument(
            doctype=rfq.doctype,
            name=rfq.name,
            url=reverse("buying:rfq_detail", args=[rfq.name]),
            party="",
            status=rfq.status,
            order=30,
        )
        for rfq in rfqs
    ]
    rows += [
        LinkedDocument(
            doctype=q.doctype,
            name=q.name,
            url=reverse("buying:supplier_quotation_detail", args=[q.name]),
            party=q.supplier_name,
            status=q.status,
            currency=q.currency_id,
            grand_total=q.grand_total,
            precision=q.currency.precision,
            order=40,
        )
        for q in quotations
    ]
    links = []
    if quotations:
        url = reverse("buying:opportunity_comparison", args=[opportunity.name])
        links.append(Action("Compare supplier quotations", url, method="get"))
    return LinkedDocuments(rows=rows, links=links)
