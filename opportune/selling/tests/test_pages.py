"""The selling and buying pages render and call the services (Django's test client)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opportune.crm.models import Opportunity
from opportune.selling import services
from opportune.selling.models import Quotation
from opportune.testing import client_for, make_item, make_opportunity

pytestmark = pytest.mark.django_db


def test_quotation_journey_through_the_pages(sales):
    make_item("W1", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}])
    c = client_for(sales)
    page = c.get(f"/crm/opportunities/{opp.name}/")
    assert page.status_code == 200 and b"Make Quotation" in page.content
    r = c.post(f"/selling/opportunities/{opp.name}/make-quotation/")
    q = Quotation.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/selling/quotations/{q.name}/edit/"
    form = c.get(r["Location"])
    assert form.status_code == 200 and b'value="W1"' in form.content
    row = q.items.get()
    r = c.post(
        f"/selling/quotations/{q.name}/edit/",
        {
            "version": q.version,
            "quotation_to": "Customer",
            "party_name": q.party_name,
            "transaction_date": q.transaction_date,
            "valid_till": q.valid_till,
            "currency": "USD",
            "conversion_rate": "1",
            "tax_rate": "10",
            "terms": "",
            "title": q.title,
            "contact_email": "",
            "items-TOTAL": "2",
            "items-0-id": row.pk,
            "items-0-item_code": "W1",
            "items-0-qty": "2",
            "items-0-uom": "Nos",
            "items-0-rate": "12.50",
            "items-1-item_code": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    q.refresh_from_db()
    assert (q.grand_total, q.items.get().prevdoc_docname) == (Decimal("27.50"), opp.name)
    r = c.post(f"/selling/quotations/{q.name}/submit/", {"version": q.version})
    assert r.status_code == 302
    assert Opportunity.objects.get(pk=opp.pk).status == "Quotation"
    detail = c.get(f"/selling/quotations/{q.name}/")
    assert b"Make Sales Order" in detail.content and b"Declare Lost" in detail.content
    opp_page = c.get(f"/crm/opportunities/{opp.name}/").content.decode()
    assert q.name in opp_page and "Documents" in opp_page
    r = c.post(f"/selling/quotations/{q.name}/make-sales-order/")
    order = q.sales_orders.get()
    assert r["Location"] == f"/selling/sales-orders/{order.name}/"
    assert c.get(r["Location"]).status_code == 200
    c.post(f"/selling/sales-orders/{order.name}/submit/", {"version": order.version})
    assert Opportunity.objects.get(pk=opp.pk).status == "Converted"
    pdf = c.get(f"/selling/quotations/{q.name}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    for url in (
        "/selling/quotations/",
        "/selling/sales-orders/",
        "/selling/quotations/new/",
        "/selling/sales-orders/new/",
        "/selling/quotations/?status=Ordered&q=Bab",
    ):
        assert c.get(url).status_code == 200, url


def test_form_errors_are_shown_and_nothing_changes(sales):
    make_item("W1", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}])
    q = services.make_quotation_from_opportunity(opp, by=sales)
    c = client_for(sales)
    r = c.post(
        f"/selling/quotations/{q.name}/edit/",
        {
            "version": q.version,
            "quotation_to": "Customer",
            "party_name": q.party_name,
            "transaction_date": q.transaction_date,
            "currency": "USD",
            "items-0-item_code": "W1",
            "items-0-qty": "-3",
            "items-0-rate": "-1",
        },
    )
    assert r.status_code == 200
    assert b"Row 1 qty: Quantity must be greater than 0." in r.content
    assert b"Row 1 rate: Rate cannot be negative." in r.content
    assert Quotation.objects.get(pk=q.pk).version == q.version
