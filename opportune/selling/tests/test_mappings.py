"""Opportunity -> Quotation -> Sales Order, field by field (ERPNEXT_BEHAVIOUR.md 4.2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from opportune.crm import services as crm
from opportune.crm.models import Campaign, CRMSettings, Customer, Lead
from opportune.selling import services
from opportune.selling.models import DocStatus, Quotation, SalesOrder
from opportune.selling.tests.helpers import submitted_quotation
from opportune.testing import at, make_customer, make_item, make_lead, make_opportunity, make_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(db):
    return make_item("W1", rate="10", name="Widget"), make_item("G2", rate="3", uom="Hour")


def _customer_opportunity(by, **extra):
    Campaign.objects.create(name="Spring")
    customer = make_customer(
        by, territory="All Territories", customer_group="Commercial", email_id="buy@babbage.example"
    )
    contact = crm.create_contact(
        data={
            "first_name": "Charles",
            "last_name": "Babbage",
            "email_id": "charles@babbage.example",
            "mobile_no": "+44 1",
            "link_doctype": "Customer",
            "link_name": customer.name,
        },
        by=by,
    )
    return make_opportunity(
        by,
        customer,
        source="Website",
        campaign="Spring",
        contact_person=contact.name,
        items=[
            {"item_code": "W1", "qty": 2, "rate": "10.50", "description": "Blue"},
            {"item_code": "G2", "qty": "1.5", "uom": "Hour"},
        ],
        **extra,
    )


def test_quotation_from_customer_opportunity_maps_every_field(sales, items):
    opp = _customer_opportunity(sales)
    quotation = services.make_quotation_from_opportunity(opp, by=sales, now=at(2026, 3, 15))
    q = Quotation.objects.get(pk=quotation.pk)
    assert q.name.startswith(f"SAL-QTN-{timezone.localtime(q.creation):%Y}-")
    assert (q.docstatus, q.status) == (DocStatus.DRAFT, "Draft")
    assert q.quotation_to == "Customer"
    assert q.party_name == "Babbage Ltd" and q.customer_id == "Babbage Ltd" and q.lead_id is None
    assert q.customer_name == opp.customer_name == "Babbage Ltd"
    assert q.opportunity_id == opp.name
    assert q.currency_id == "USD" and q.conversion_rate == Decimal(1)
    assert q.contact_person_id == opp.contact_person_id
    assert q.contact_display == "Charles Babbage"
    assert q.contact_email == "charles@babbage.example"
    assert q.contact_mobile == "+44 1"
    assert q.territory_id == "All Territories"
    assert q.customer_group_id == "Commercial"
    assert q.source_id == "Website"
    assert q.campaign_id == "Spring"
    assert q.transaction_date == dt.date(2026, 3, 15)
    assert q.owner == sales
    rows = list(q.items.order_by("idx"))
    assert [
        (
            r.idx,
            r.item_code_id,
            r.item_name,
            r.description,
            r.qty,
            r.uom_id,
            r.stock_uom_id,
            r.rate,
            r.amount,
            r.prevdoc_doctype,
            r.prevdoc_docname,
        )
        for r in rows
    ] == [
        (
            1,
            "W1",
            "Widget",
            "Blue",
            Decimal("2"),
            "Nos",
            "Nos",
            Decimal("10.50"),
            Decimal("21.00"),
            "Opportunity",
            opp.name,
        ),
        (
            2,
            "G2",
            "G2",
            "",
            Decimal("1.5"),
            "Hour",
            "Hour",
            Decimal("3.00"),
            Decimal("4.50"),
            "Opportunity",
            opp.name,
        ),
    ]
    assert (q.total, q.net_total, q.total_taxes_and_charges, q.grand_total) == (
        Decimal("25.50"),
        Decimal("25.50"),
        Decimal(0),
        Decimal("25.50"),
    )
    assert (q.base_total, q.base_net_total, q.base_grand_total) == (
        Decimal("25.50"),
        Decimal("25.50"),
        Decimal("25.50"),
    )


def test_quotation_from_lead_opportunity_is_to_the_lead(sales, items):
    lead = make_lead(sales, source="Campaign", territory="All Territories")
    opp = make_opportunity(sales, lead, items=[{"item_code": "W1", "qty": 1}])
    q = services.make_quotation_from_opportunity(opp, by=sales)
    assert (q.quotation_to, q.party_name, q.lead_id, q.customer_id) == (
        "Lead",
        lead.name,
        lead.name,
        None,
    )
    assert q.customer_name == "Analytical Engines"
    assert q.contact_display == "Ada Lovelace"
    assert q.contact_email == "ada@engines.example"
    assert q.source_id == "Campaign" and q.territory_id == "All Territories"


def test_quotation_without_items_keeps_the_header_link(sales):
    opp = make_opportunity(sales)
    q = services.make_quotation_from_opportunity(opp, by=sales)
    assert q.opportunity_id == opp.name and q.items.count() == 0
    assert q.total == Decimal(0)


def test_foreign_currency_rate_is_looked_up_on_the_quotation_date(sales, items):
    make_rate("EUR", "USD", "1.1")
    opp = make_opportunity(sales, currency="EUR", items=[{"item_code": "W1", "qty": 3}])
    make_rate("EUR", "USD", "1.2", on=dt.date.today())
    q = services.make_quotation_from_opportunity(opp, by=sales)
    assert opp.conversion_rate == Decimal("1.1")
    assert q.currency_id == "EUR" and q.conversion_rate == Decimal("1.2")
    assert (q.total, q.base_total, q.base_grand_total) == (
        Decimal("30.00"),
        Decimal("36.00"),
        Decimal("36.00"),
    )
    row = q.items.get()
    assert (row.rate, row.base_rate, row.amount, row.base_amount) == (
        Decimal("10.00"),
        Decimal("12.00"),
        Decimal("30.00"),
        Decimal("36.00"),
    )


def test_without_a_recorded_rate_the_opportunitys_rate_is_kept(sales, items):
    opp = make_opportunity(
        sales, currency="GBP", conversion_rate="1.3", items=[{"item_code": "W1", "qty": 1}]
    )
    q = services.make_quotation_from_opportunity(opp, by=sales)
    assert q.conversion_rate == Decimal("1.3") and q.base_grand_total == Decimal("13.00")


def test_taxes_and_totals_in_both_currencies(sales, items):
    make_rate("EUR", "USD", "1.1")
    opp = make_opportunity(sales, currency="EUR", items=[{"item_code": "W1", "qty": 3}])
    q = services.make_quotation_from_opportunity(opp, by=sales)
    q = services.update_quotation(
        q,
        data={"tax_rate": "19", "items": [{"item_code": "W1", "qty": 3, "rate": "9.99"}]},
        version=q.version,
        by=sales,
    )
    assert (q.total, q.net_total, q.total_taxes_and_charges, q.grand_total) == (
        Decimal("29.97"),
        Decimal("29.97"),
        Decimal("5.69"),
        Decimal("35.66"),
    )
    assert (q.base_total, q.base_net_total, q.base_total_taxes_and_charges, q.base_grand_total) == (
        Decimal("32.97"),
        Decimal("32.97"),
        Decimal("6.26"),
        Decimal("39.23"),
    )
    # an edited row keeps both links to the opportunity
    assert q.items.get().prevdoc_docname == opp.name


def test_valid_till_defaults_from_crm_settings_else_one_month(sales):
    opp = make_opportunity(sales)
    q = services.make_quotation_from_opportunity(opp, by=sales, now=_at(2026, 1, 31))
    assert q.valid_till == dt.date(2026, 2, 28)
    CRMSettings.objects.filter(pk=1).update(default_valid_till=10)
    q = services.make_quotation_from_opportunity(opp, by=sales, now=_at(2026, 1, 31))
    assert q.valid_till == dt.date(2026, 2, 10)


def _at(y, m, d):
    return dt.datetime(y, m, d, 12, tzinfo=dt.UTC)


def test_sales_order_from_customer_quotation_maps_every_field(sales, items):
    opp = _customer_opportunity(sales)
    q = services.make_quotation_from_opportunity(opp, by=sales)
    q = services.update_quotation(
        q, data={"tax_rate": "10", "terms": "Net 30"}, version=q.version, by=sales
    )
    q = services.submit_quotation(q, by=sales)
    order = SalesOrder.objects.get(pk=services.make_sales_order_from_quotation(q, by=sales).pk)
    assert order.name.startswith(f"SAL-ORD-{timezone.localtime(order.creation):%Y}-")
    assert (order.docstatus, order.status) == (0, "Draft")
    assert order.customer_id == "Babbage Ltd" and order.customer_name == "Babbage Ltd"
    assert order.quotation_id == q.name and order.opportunity_id == opp.name
    assert (order.currency_id, order.conversion_rate, order.tax_rate, order.terms) == (
        "USD",
        Decimal(1),
        Decimal(10),
        "Net 30",
    )
    assert order.contact_person_id == q.contact_person_id
    assert order.contact_email == "charles@babbage.example"
    assert (order.territory_id, order.customer_group_id, order.source_id, order.campaign_id) == (
        "All Territories",
        "Commercial",
        "Website",
        "Spring",
    )
    q_rows = list(q.items.order_by("idx"))
    assert [
        (
            r.item_code_id,
            r.item_name,
            r.description,
            r.qty,
            r.uom_id,
            r.rate,
            r.quotation_item_id,
            r.prevdoc_docname,
        )
        for r in order.items.order_by("idx")
    ] == [
        (s.item_code_id, s.item_name, s.description, s.qty, s.uom_id, s.rate, s.pk, q.name)
        for s in q_rows
    ]
    assert (order.net_total, order.total_taxes_and_charges, order.grand_total) == (
        Decimal("25.50"),
        Decimal("2.55"),
        Decimal("28.05"),
    )


def test_sales_order_from_lead_quotation_makes_the_customer_first(sales, items):
    lead = make_lead(sales)
    opp = make_opportunity(sales, lead, items=[{"item_code": "W1", "qty": 1}])
    q = submitted_quotation(opp, sales)
    order = services.make_sales_order_from_quotation(q, by=sales)
    customer = Customer.objects.get(lead_name=lead)
    assert order.customer_id == customer.name == "Analytical Engines"
    assert customer.opportunity_name_id == opp.name
    assert Lead.objects.get(pk=lead.pk).status == "Converted"
    # a second order (after cancelling the first) reuses that customer
    services.delete_sales_order(order, version=order.version, by=sales)
    again = services.make_sales_order_from_quotation(q, by=sales)
    assert again.customer_id == customer.name
    assert Customer.objects.count() == 1
