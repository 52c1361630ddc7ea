"""The opportunity services: every rule of ERPNEXT_BEHAVIOUR.md §1-4 and §12 as Opportune adopts it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from opportune.core.errors import ConflictError, StaleVersionError, ValidationError
from opportune.crm import services as crm
from opportune.crm.models import (
    Competitor,
    Contact,
    CRMSettings,
    Customer,
    Lead,
    Opportunity,
    SalesStage,
)
from opportune.crm.tests.helpers import fake_probe, opportunity_state, row_counts
from opportune.masters.models import UOM, Currency, CustomerGroup, Industry, Territory
from opportune.testing import at, make_customer, make_item, make_lead, make_opportunity, make_rate

pytestmark = pytest.mark.django_db
S = Opportunity.Status


def refused(exc_type, fn, *args, **kwargs):
    """Call ``fn`` expecting ``exc_type``; answer the error's fields."""
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    return info.value.fields


def items(opp):
    return [
        (
            i.item_code_id,
            i.item_name,
            i.description,
            i.qty,
            i.uom_id,
            i.rate,
            i.amount,
            i.base_rate,
            i.base_amount,
        )
        for i in opp.items.order_by("idx")
    ]


@pytest.fixture
def territories(db):
    Territory.objects.create(name="Europe")
    Territory.objects.create(name="Asia")
    Industry.objects.create(name="Computing")


# --- party ---------------------------------------------------------------------------------------
def test_customer_party_gives_names_and_empty_fields(sales, territories):
    customer = make_customer(
        sales,
        territory="Europe",
        customer_group="Commercial",
        industry="Computing",
        email_id="office@babbage.example",
        phone="+44 1",
        mobile_no="+44 2",
    )
    opp = make_opportunity(sales, customer, now=at(2026, 3, 15))
    assert (opp.opportunity_from, opp.party_name, opp.customer_id, opp.lead_id) == (
        "Customer",
        "Babbage Ltd",
        "Babbage Ltd",
        None,
    )
    assert opp.customer_name == "Babbage Ltd"
    assert opp.title == "Babbage Ltd"
    assert (opp.territory_id, opp.customer_group_id, opp.industry_id) == (
        "Europe",
        "Commercial",
        "Computing",
    )
    assert (opp.contact_email, opp.contact_mobile, opp.phone) == (
        "office@babbage.example",
        "+44 2",
        "+44 1",
    )
    assert opp.status == S.OPEN
    assert opp.opportunity_type_id == "Sales"
    assert opp.transaction_date == dt.date(2026, 3, 15)
    assert opp.currency_id == "USD"
    assert opp.conversion_rate == Decimal(1)
    assert (opp.owner, opp.modified_by, opp.version) == (sales, sales, 1)


def test_lead_party_gives_company_name_and_lead_fields(sales, territories):
    lead = make_lead(
        sales,
        territory="Asia",
        industry="Computing",
        source="Cold Calling",
        job_title="CTO",
        phone="123",
        mobile_no="456",
    )
    opp = make_opportunity(sales, lead)
    assert (opp.opportunity_from, opp.party_name, opp.lead_id) == ("Lead", lead.name, lead.name)
    assert opp.customer_name == "Analytical Engines"
    assert opp.title == "Analytical Engines"
    assert (opp.territory_id, opp.industry_id, opp.source_id, opp.job_title, opp.phone) == (
        "Asia",
        "Computing",
        "Cold Calling",
        "CTO",
        "123",
    )
    assert (opp.contact_display, opp.contact_email, opp.contact_mobile) == (
        "Ada Lovelace",
        "ada@engines.example",
        "456",
    )


def test_lead_without_company_uses_lead_name(sales):
    lead = make_lead(sales, company_name="")
    opp = make_opportunity(sales, lead)
    assert (opp.customer_name, opp.title) == ("Ada Lovelace", "Ada Lovelace")


def test_given_values_win_over_the_party(sales, territories):
    customer = make_customer(sales, territory="Europe", email_id="office@babbage.example")
    opp = make_opportunity(
        sales, customer, territory="Asia", title="Big deal", contact_email="boss@babbage.example"
    )
    assert (opp.territory_id, opp.title, opp.contact_email) == (
        "Asia",
        "Big deal",
        "boss@babbage.example",
    )
    assert opp.customer_name == "Babbage Ltd"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"opportunity_from": "Supplier", "party_name": "X"}, "opportunity_from"),
        ({"opportunity_from": "Customer", "party_name": "Nobody"}, "party_name"),
        ({"opportunity_from": "Lead", "party_name": "Babbage Ltd"}, "party_name"),
        ({"opportunity_from": "Customer", "party_name": ""}, "party_name"),
        ({"opportunity_from": "Customer"}, "party_name"),
    ],
)
def test_party_must_exist_and_match_opportunity_from(sales, data, field):
    make_customer(sales)
    before = row_counts()
    fields = refused(ValidationError, crm.create_opportunity, data=data, by=sales)
    assert list(fields) == [field]
    assert row_counts() == before


def test_supplier_message_names_opportunity_from(sales):
    with pytest.raises(ValidationError) as info:
        crm.create_opportunity(data={"opportunity_from": "Supplier", "party_name": "X"}, by=sales)
    assert "Opportunity From" in info.value.fields["opportunity_from"][0]


def test_disabled_customer_refused_then_allowed_again(sales):
    customer = make_customer(sales, disabled=True)
    before = row_counts()
    fields = refused(
        ValidationError,
        crm.create_opportunity,
        data={"opportunity_from": "Customer", "party_name": customer.name},
        by=sales,
    )
    assert fields == {"party_name": ["Customer 'Babbage Ltd' is disabled."]}
    assert row_counts() == before
    crm.update_customer(customer, data={"disabled": False}, version=1, by=sales)
    assert make_opportunity(sales, Customer.objects.get(pk=customer.pk)).status == S.OPEN


def test_disabled_lead_is_allowed(sales):
    lead = make_lead(sales, disabled=True)
    assert make_opportunity(sales, lead).party_name == lead.name


def test_contact_person_defaults_to_primary_contact_of_the_party(sales):
    customer = make_customer(sales)
    crm.create_contact(
        data={"first_name": "Other", "link_doctype": "Customer", "link_name": customer.name},
        by=sales,
    )
    primary = crm.create_contact(
        data={
            "first_name": "Grace",
            "last_name": "Hopper",
            "email_id": "grace@babbage.example",
            "mobile_no": "777",
            "link_doctype": "Customer",
            "link_name": customer.name,
            "is_primary_contact": True,
        },
        by=sales,
    )
    opp = make_opportunity(sales, customer)
    assert opp.contact_person_id == primary.name
    assert (opp.contact_display, opp.contact_email, opp.contact_mobile) == (
        "Grace Hopper",
        "grace@babbage.example",
        "777",
    )


def test_contact_person_must_be_linked_to_the_party(sales):
    customer = make_customer(sales)
    other = make_customer(sales, customer_name="Other Ltd")
    stranger = crm.create_contact(
        data={"first_name": "Eve", "link_doctype": "Customer", "link_name": other.name}, by=sales
    )
    before = row_counts()
    fields = refused(
        ValidationError,
        crm.create_opportunity,
        data={
            "opportunity_from": "Customer",
            "party_name": customer.name,
            "contact_person": stranger.name,
        },
        by=sales,
    )
    assert list(fields) == ["contact_person"]
    assert "is not linked to" in fields["contact_person"][0]
    assert row_counts() == before


def test_switching_party_rederives_title_territory_and_contact(sales, territories):
    first = make_customer(sales, territory="Europe", email_id="first@example.com")
    second = make_customer(
        sales, customer_name="Second Ltd", territory="Asia", email_id="second@example.com"
    )
    opp = make_opportunity(sales, first)
    assert (opp.title, opp.territory_id, opp.contact_email) == (
        "Babbage Ltd",
        "Europe",
        "first@example.com",
    )
    opp = crm.update_opportunity(opp, data={"party_name": second.name}, version=1, by=sales)
    opp.refresh_from_db()
    assert (opp.customer_id, opp.customer_name, opp.title, opp.territory_id) == (
        "Second Ltd",
        "Second Ltd",
        "Second Ltd",
        "Asia",
    )
    assert opp.contact_email == "second@example.com"


def test_switching_from_customer_to_lead(sales):
    customer = make_customer(sales)
    lead = make_lead(sales)
    opp = make_opportunity(sales, customer)
    opp = crm.update_opportunity(
        opp, data={"opportunity_from": "Lead", "party_name": lead.name}, version=1, by=sales
    )
    opp.refresh_from_db()
    assert (opp.opportunity_from, opp.lead_id, opp.customer_id) == ("Lead", lead.name, None)
    assert (opp.customer_name, opp.title) == ("Analytical Engines", "Analytical Engines")
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OPPORTUNITY


def test_switching_party_keeps_a_title_the_user_wrote(sales):
    first = make_customer(sales)
    second = make_customer(sales, customer_name="Second Ltd")
    opp = make_opportunity(sales, first, title="Big deal")
    opp = crm.update_opportunity(opp, data={"party_name": second.name}, version=1, by=sales)
    assert (opp.title, opp.customer_name) == ("Big deal", "Second Ltd")


# --- items and money ---------------------------------------------------------------------------
def test_item_details_come_from_the_item(sales):
    UOM.objects.create(name="Pair")
    item = make_item("GEAR", rate="12.5", uom="Pair", name="Brass gear")
    item.description = "A brass gear"
    item.save()
    opp = make_opportunity(sales, items=[{"item_code": "GEAR", "qty": Decimal(4)}])
    assert items(opp) == [
        (
            "GEAR",
            "Brass gear",
            "A brass gear",
            Decimal("4.000000"),
            "Pair",
            Decimal("12.50"),
            Decimal("50.00"),
            Decimal("12.50"),
            Decimal("50.00"),
        )
    ]
    assert opp.with_items is True
    assert (opp.total, opp.base_total) == (Decimal("50.00"), Decimal("50.00"))
    assert (opp.opportunity_amount, opp.base_opportunity_amount) == (
        Decimal("50.00"),
        Decimal("50.00"),
    )


def test_item_values_given_win(sales):
    make_item("GEAR", rate="12.5")
    opp = make_opportunity(
        sales,
        items=[
            {
                "item_code": "GEAR",
                "item_name": "Custom gear",
                "description": "Made to measure",
                "qty": Decimal(2),
                "uom": "Kg",
                "rate": Decimal("7.25"),
            }
        ],
    )
    assert items(opp) == [
        (
            "GEAR",
            "Custom gear",
            "Made to measure",
            Decimal("2.000000"),
            "Kg",
            Decimal("7.25"),
            Decimal("14.50"),
            Decimal("7.25"),
            Decimal("14.50"),
        )
    ]


def test_erpnext_item_totals(sales):
    """§12.4: one item qty 2 rate 1100 -> total 2200 (base_total 2200 at rate 1)."""
    make_item("_Test Item", rate="1000")
    opp = make_opportunity(sales, items=[{"item_code": "_Test Item", "qty": 2, "rate": 1100}])
    assert (opp.total, opp.base_total) == (Decimal("2200.00"), Decimal("2200.00"))


def test_zero_decimal_currency_rounds_rates_and_amounts(sales):
    make_item("W", rate="0")
    make_rate("JPY", "USD", "0.0067")
    opp = make_opportunity(
        sales,
        currency="JPY",
        items=[
            {"item_code": "W", "qty": 3, "rate": Decimal("100.4")},
            {"item_code": "W", "qty": Decimal("1.5"), "uom": "Kg", "rate": Decimal("99.5")},
        ],
    )
    assert [(i.rate, i.amount, i.base_rate, i.base_amount) for i in opp.items.order_by("idx")] == [
        (Decimal("100"), Decimal("300"), Decimal("0.67"), Decimal("2.01")),
        (Decimal("100"), Decimal("150"), Decimal("0.67"), Decimal("1.01")),
    ]
    assert (opp.total, opp.base_total) == (Decimal("450"), Decimal("3.02"))
    assert (opp.opportunity_amount, opp.base_opportunity_amount) == (
        Decimal("450"),
        Decimal("3.02"),
    )
    assert opp.conversion_rate == Decimal("0.0067")


def test_three_decimal_currency(sales):
    make_item("W", rate="0")
    make_rate("KWD", "USD", "3.25")
    opp = make_opportunity(
        sales, currency="KWD", items=[{"item_code": "W", "qty": 3, "rate": Decimal("1.2345")}]
    )
    assert [(i.rate, i.amount, i.base_rate, i.base_amount) for i in opp.items.all()] == [
        (Decimal("1.235"), Decimal("3.705"), Decimal("4.01"), Decimal("12.04"))
    ]
    assert (opp.total, opp.base_total) == (Decimal("3.705"), Decimal("12.04"))
    assert (opp.opportunity_amount, opp.base_opportunity_amount) == (
        Decimal("3.705"),
        Decimal("12.04"),
    )


def test_opportunity_amount_follows_total_only_while_defaulted(sales):
    make_item("W", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W", "qty": 2}])
    assert opp.opportunity_amount == Decimal("20.00")
    opp = crm.update_opportunity(
        opp, data={"items": [{"item_code": "W", "qty": 5}]}, version=1, by=sales
    )
    assert (opp.total, opp.opportunity_amount, opp.base_opportunity_amount) == (
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("50.00"),
    )
    opp = crm.update_opportunity(
        opp, data={"opportunity_amount": Decimal("42")}, version=2, by=sales
    )
    assert opp.opportunity_amount == Decimal("42.00")
    opp = crm.update_opportunity(
        opp, data={"items": [{"item_code": "W", "qty": 7}]}, version=3, by=sales
    )
    assert (opp.total, opp.opportunity_amount) == (Decimal("70.00"), Decimal("42.00"))


def test_opportunity_amount_given_with_items_is_kept(sales):
    make_item("W", rate="10")
    opp = make_opportunity(
        sales, opportunity_amount=Decimal("1000"), items=[{"item_code": "W", "qty": 2}]
    )
    assert (opp.total, opp.opportunity_amount) == (Decimal("20.00"), Decimal("1000.00"))


def test_opportunity_amount_without_items(sales):
    opp = make_opportunity(sales, opportunity_amount=Decimal("1234.565"))
    assert (opp.with_items, opp.total, opp.opportunity_amount, opp.base_opportunity_amount) == (
        False,
        Decimal("0"),
        Decimal("1234.57"),
        Decimal("1234.57"),
    )


def test_with_items_cannot_be_unset_while_items_exist(sales):
    make_item("W", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W"}])
    before = opportunity_state(opp.name)
    fields = refused(
        ValidationError,
        crm.update_opportunity,
        opp,
        data={"with_items": False},
        version=1,
        by=sales,
    )
    assert list(fields) == ["with_items"]
    assert opportunity_state(opp.name) == before
    opp = crm.update_opportunity(opp, data={"with_items": False, "items": []}, version=1, by=sales)
    assert (opp.with_items, opp.items.count(), opp.total) == (False, 0, Decimal("0.00"))


def test_items_refused_when_with_items_is_false(sales):
    make_item("W")
    fields = refused(
        ValidationError,
        crm.create_opportunity,
        data={
            "opportunity_from": "Customer",
            "party_name": make_customer(sales).name,
            "with_items": False,
            "items": [{"item_code": "W"}],
        },
        by=sales,
    )
    assert list(fields) == ["with_items"]


# --- exchange rates ----------------------------------------------------------------------------
def test_conversion_rate_from_currency_exchange_on_or_before_the_date(sales):
    make_rate("EUR", "USD", "1.05", dt.date(2024, 1, 1))
    make_rate("EUR", "USD", "1.10", dt.date(2024, 6, 1))
    make_rate("EUR", "USD", "1.20", dt.date(2024, 9, 1))
    opp = make_opportunity(
        sales,
        currency="EUR",
        transaction_date=dt.date(2024, 8, 31),
        opportunity_amount=Decimal("1000"),
    )
    assert opp.conversion_rate == Decimal("1.10")
    assert opp.base_opportunity_amount == Decimal("1100.00")
    opp = make_opportunity(sales, currency="EUR", transaction_date=dt.date(2024, 6, 1))
    assert opp.conversion_rate == Decimal("1.10")


def test_conversion_rate_from_the_inverse_rate(sales):
    make_rate("USD", "GBP", "0.8")
    opp = make_opportunity(sales, currency="GBP", opportunity_amount=Decimal("100"))
    assert opp.conversion_rate == Decimal("1.25")
    assert opp.base_opportunity_amount == Decimal("125.00")


def test_company_currency_rate_is_one_even_if_given(sales):
    opp = make_opportunity(
        sales, currency="USD", conversion_rate=Decimal("3"), opportunity_amount=Decimal("10")
    )
    assert (opp.conversion_rate, opp.base_opportunity_amount) == (Decimal(1), Decimal("10.00"))


def test_user_given_rate_is_kept(sales):
    make_rate("EUR", "USD", "1.1")
    opp = make_opportunity(
        sales, currency="EUR", conversion_rate=Decimal("1.3"), opportunity_amount=Decimal("100")
    )
    assert (opp.conversion_rate, opp.base_opportunity_amount) == (Decimal("1.3"), Decimal("130.00"))
    opp = crm.update_opportunity(
        opp, data={"opportunity_amount": Decimal("200")}, version=1, by=sales
    )
    assert (opp.conversion_rate, opp.base_opportunity_amount) == (Decimal("1.3"), Decimal("260.00"))


def test_rate_refetched_when_the_currency_changes(sales):
    """[develop] §12.15, with company currency USD: 83 then 90 -> 90 / 90000."""
    make_rate("GBP", "USD", "83")
    make_rate("EUR", "USD", "90")
    opp = make_opportunity(sales, currency="GBP", opportunity_amount=Decimal("1000"))
    assert (opp.conversion_rate, opp.base_opportunity_amount) == (
        Decimal("83"),
        Decimal("83000.00"),
    )
    opp = crm.update_opportunity(opp, data={"currency": "EUR"}, version=1, by=sales)
    opp.refresh_from_db()
    assert (opp.currency_id, opp.conversion_rate, opp.base_opportunity_amount) == (
        "EUR",
        Decimal("90"),
        Decimal("90000.00"),
    )


def test_rate_of_a_foreign_company_currency(sales):
    """The develop test as written: company currency INR, USD at 83 then EUR at 90."""
    settings = CRMSettings.load()
    settings.company_currency_id = "INR"
    settings.save()
    make_rate("USD", "INR", "83")
    make_rate("EUR", "INR", "90")
    opp = make_opportunity(sales, currency="USD", opportunity_amount=Decimal("1000"))
    assert (opp.conversion_rate, opp.base_opportunity_amount) == (
        Decimal("83"),
        Decimal("83000.00"),
    )
    opp = crm.update_opportunity(opp, data={"currency": "EUR"}, version=1, by=sales)
    assert (opp.conversion_rate, opp.base_opportunity_amount) == (
        Decimal("90"),
        Decimal("90000.00"),
    )
    opp = crm.update_opportunity(opp, data={"currency": "INR"}, version=2, by=sales)
    assert (opp.conversion_rate, opp.base_opportunity_amount) == (Decimal("1"), Decimal("1000.00"))


def test_missing_rate_is_refused_naming_conversion_rate(sales):
    customer = make_customer(sales)
    before = row_counts()
    fields = refused(
        ValidationError,
        crm.create_opportunity,
        data={"opportunity_from": "Customer", "party_name": customer.name, "currency": "CHF"},
        by=sales,
    )
    assert list(fields) == ["conversion_rate"]
    assert row_counts() == before
    opp = make_opportunity(sales, customer, currency="CHF", conversion_rate=Decimal("1.12"))
    assert opp.conversion_rate == Decimal("1.12")


def test_customer_default_currency(sales):
    make_rate("EUR", "USD", "1.1")
    customer = make_customer(sales, default_currency="EUR")
    assert make_opportunity(sales, customer).currency_id == "EUR"


# --- probability, stage, numbers -----------------------------------------------------------------
def test_probability_defaults_from_the_sales_stage(sales):
    opp = make_opportunity(sales)
    assert (opp.sales_stage_id, opp.probability) == ("Prospecting", Decimal(10))
    opp = crm.update_opportunity(
        opp, data={"sales_stage": "Negotiation/Review"}, version=1, by=sales
    )
    assert opp.probability == Decimal(90)
    opp = crm.update_opportunity(
        opp, data={"sales_stage": "Qualification", "probability": Decimal(55)}, version=2, by=sales
    )
    assert opp.probability == Decimal(55)
    opp = crm.update_opportunity(opp, data={"title": "Renamed"}, version=3, by=sales)
    assert opp.probability == Decimal(55)


def test_probability_given_on_create(sales):
    SalesStage.objects.filter(pk="Qualification").update(probability=25)
    opp = make_opportunity(sales, sales_stage="Qualification")
    assert opp.probability == Decimal(25)
    assert make_opportunity(sales, probability=Decimal(0)).probability == Decimal(0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"probability": Decimal(101)}, "probability"),
        ({"probability": Decimal(-1)}, "probability"),
        ({"opportunity_amount": Decimal(-1)}, "opportunity_amount"),
        ({"opportunity_amount": Decimal("1e30")}, "opportunity_amount"),
        ({"conversion_rate": Decimal(0), "currency": "EUR"}, "conversion_rate"),
        ({"opportunity_type": "Nope"}, "opportunity_type"),
        ({"opportunity_type": None}, "opportunity_type"),
        ({"sales_stage": "Nope"}, "sales_stage"),
        ({"source": "Nope"}, "source"),
        ({"campaign": "Nope"}, "campaign"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": "XTS"}, "currency"),  # a disabled (testing) code
        ({"territory": "Nope"}, "territory"),
        ({"customer_group": "Nope"}, "customer_group"),
        ({"industry": "Nope"}, "industry"),
        ({"contact_person": "CONT-0000-00001"}, "contact_person"),
        ({"opportunity_owner": "nobody"}, "opportunity_owner"),
        ({"contact_by": "nobody"}, "contact_by"),
        ({"transaction_date": None}, "transaction_date"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"status": "Lost"}, "status"),
        ({"bogus": 1}, "bogus"),
        ({"items": [{"item_code": "W"}, {"item_code": "NOPE"}]}, "items[1].item_code"),
        ({"items": [{"item_code": "W", "uom": "Furlong"}]}, "items[0].uom"),
        ({"items": [{"item_code": "W", "qty": 0}]}, "items[0].qty"),
        ({"items": [{"item_code": "W", "qty": -2}]}, "items[0].qty"),
        ({"items": [{"item_code": "W", "qty": "abc"}]}, "items[0].qty"),
        ({"items": [{"item_code": "W", "qty": Decimal("1.5")}]}, "items[0].qty"),
        ({"items": [{"item_code": "W", "rate": -1}]}, "items[0].rate"),
        ({"items": [{"item_code": "W", "rate": Decimal("1e30")}]}, "items[0].rate"),
        ({"items": [{"item_code": "W", "qty": Decimal("1e30")}]}, "items[0].qty"),
        ({"items": [{"item_code": "W", "colour": "red"}]}, "items[0].colour"),
        ({"conversion_rate": Decimal("1e30"), "currency": "EUR"}, "conversion_rate"),
        (
            {
                "currency": "EUR",
                "conversion_rate": Decimal("9e8"),
                "items": [
                    {"item_code": "W", "qty": Decimal("9e8"), "uom": "Kg", "rate": Decimal("9e11")}
                ],
            },
            "items",
        ),
        (
            {
                "currency": "EUR",
                "conversion_rate": Decimal("9e8"),
                "opportunity_amount": Decimal("9e14"),
            },
            "opportunity_amount",
        ),
        (
            {
                "currency": "EUR",
                "conversion_rate": Decimal("9e8"),
                "items": [
                    {
                        "item_code": "W",
                        "qty": Decimal("0.000001"),
                        "uom": "Kg",
                        "rate": Decimal("9e11"),
                    }
                ],
            },
            "items",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(sales, data, field):
    make_item("W", rate="10")
    customer = make_customer(sales)
    before = row_counts()
    fields = refused(
        ValidationError,
        crm.create_opportunity,
        data={"opportunity_from": "Customer", "party_name": customer.name, **data},
        by=sales,
    )
    assert field in fields, fields
    assert row_counts() == before


def test_inactive_user_refused(sales, django_user_model):
    django_user_model.objects.create_user("gone", is_active=False)
    fields = refused(ValidationError, make_opportunity, sales, opportunity_owner="gone")
    assert fields == {"opportunity_owner": ["User 'gone' is not active."]}


def test_whole_number_uom_takes_whole_quantities_only(sales):
    make_item("W", rate="10")
    assert UOM.objects.get(pk="Nos").must_be_whole_number
    opp = make_opportunity(
        sales,
        items=[
            {"item_code": "W", "qty": Decimal("3.000")},
            {"item_code": "W", "qty": Decimal("1.25"), "uom": "Kg"},
        ],
    )
    assert [i.qty for i in opp.items.order_by("idx")] == [Decimal(3), Decimal("1.25")]
    fields = refused(
        ValidationError,
        crm.update_opportunity,
        opp,
        data={"items": [{"item_code": "W", "qty": Decimal("2.5")}]},
        version=1,
        by=sales,
    )
    assert fields == {
        "items[0].qty": [
            "Quantity (2.5) cannot be a fraction in row 1: Nos is counted in whole numbers."
        ]
    }


def test_several_errors_are_reported_together(sales):
    make_item("W")
    fields = refused(
        ValidationError,
        make_opportunity,
        sales,
        probability=Decimal(500),
        sales_stage="Nope",
        items=[{"item_code": "W", "qty": -1}],
    )
    assert set(fields) == {"probability", "sales_stage", "items[0].qty"}


def test_unknown_fields_on_update_are_refused(sales):
    opp = make_opportunity(sales)
    before = opportunity_state(opp.name)
    fields = refused(
        ValidationError,
        crm.update_opportunity,
        opp,
        data={"total": Decimal(5), "name": "X"},
        version=1,
        by=sales,
    )
    assert set(fields) == {"total", "name"}
    assert opportunity_state(opp.name) == before


# --- versions ------------------------------------------------------------------------------------
def test_stale_version_is_refused_and_nothing_changes(sales, sales2):
    make_item("W", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W"}])
    crm.update_opportunity(opp, data={"title": "Second"}, version=1, by=sales2)
    before = opportunity_state(opp.name)
    counts = row_counts()
    with pytest.raises(StaleVersionError) as info:
        crm.update_opportunity(opp, data={"title": "Lost update", "items": []}, version=1, by=sales)
    assert info.value.current == 2
    assert info.value.http_status == 409
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


def test_update_needs_a_version(sales):
    opp = make_opportunity(sales)
    fields = refused(
        ValidationError, crm.update_opportunity, opp, data={"title": "x"}, version=None, by=sales
    )
    assert list(fields) == ["version"]


def test_refused_update_leaves_version_alone(sales):
    opp = make_opportunity(sales)
    before = opportunity_state(opp.name)
    refused(
        ValidationError,
        crm.update_opportunity,
        opp,
        data={"probability": Decimal(200)},
        version=1,
        by=sales,
    )
    assert opportunity_state(opp.name) == before
    assert crm.update_opportunity(opp, data={"title": "ok"}, version=1, by=sales).version == 2


def test_naming_series(sales):
    first = make_opportunity(sales)
    second = make_opportunity(sales, first.customer)
    year = timezone.localtime(first.creation).year  # the series is dated by the creation
    assert re.fullmatch(rf"CRM-OPP-{year}-\d{{5}}", first.name)
    assert int(second.name[-5:]) == int(first.name[-5:]) + 1


# --- status --------------------------------------------------------------------------------------
def test_manual_transitions(sales):
    opp = make_opportunity(sales)
    opp = crm.set_opportunity_status(opp, status=S.REPLIED, version=1, by=sales)
    assert opp.status == S.REPLIED
    assert opp.replied_on == opp.modified
    opp = crm.set_opportunity_status(opp, status=S.CLOSED, version=2, by=sales)
    assert opp.status == S.CLOSED
    opp = crm.set_opportunity_status(opp, status=S.OPEN, version=3, by=sales)
    assert (opp.status, opp.version) == (S.OPEN, 4)


@pytest.mark.parametrize("target", [S.CONVERTED, S.QUOTATION, S.LOST, "Nonsense"])
def test_manual_transition_refused(sales, target):
    opp = make_opportunity(sales)
    before = opportunity_state(opp.name)
    fields = refused(
        ValidationError, crm.set_opportunity_status, opp, status=target, version=1, by=sales
    )
    assert list(fields) == ["status"]
    assert opportunity_state(opp.name) == before


def test_closed_cannot_go_to_replied(sales):
    opp = make_opportunity(sales)
    opp = crm.set_opportunity_status(opp, status=S.CLOSED, version=1, by=sales)
    fields = refused(
        ValidationError, crm.set_opportunity_status, opp, status=S.REPLIED, version=2, by=sales
    )
    assert fields == {"status": ["The status cannot go from Closed to Replied."]}


def test_recompute_status_follows_quotations(sales):
    opp = make_opportunity(sales)
    with fake_probe() as probe:
        probe.active.add(opp.name)
        opp = crm.recompute_opportunity_status(opp, requested=S.QUOTATION)
        assert opp.status == S.QUOTATION
        probe.active.clear()
        probe.ordered.add(opp.name)
        assert crm.recompute_opportunity_status(opp).status == S.CONVERTED
        probe.ordered.clear()
        probe.lost.add(opp.name)
        assert crm.recompute_opportunity_status(opp, requested=S.LOST).status == S.LOST


# --- lost and reopen -----------------------------------------------------------------------------
def test_declare_lost_keeps_reasons_competitors_and_detail(sales):
    from_masters = _competitors("Acme", "Globex")
    opp = make_opportunity(sales)
    opp = crm.declare_opportunity_lost(
        opp,
        lost_reasons=["Too expensive", "Timing"],
        competitors=from_masters,
        detail="Budget too high",
        version=1,
        by=sales,
    )
    opp.refresh_from_db()
    assert (opp.status, opp.order_lost_reason, opp.version) == (S.LOST, "Budget too high", 2)
    assert sorted(opp.lost_reasons.values_list("pk", flat=True)) == ["Timing", "Too expensive"]
    assert sorted(opp.competitors.values_list("pk", flat=True)) == ["Acme", "Globex"]


def test_declare_lost_again_replaces_reasons(sales):
    _competitors("Acme")
    opp = make_opportunity(sales)
    crm.declare_opportunity_lost(
        opp,
        lost_reasons=["Too expensive"],
        competitors=["Acme"],
        detail="first",
        version=1,
        by=sales,
    )
    opp = crm.declare_opportunity_lost(opp, lost_reasons=["No budget"], version=2, by=sales)
    assert list(opp.lost_reasons.values_list("pk", flat=True)) == ["No budget"]
    assert list(opp.competitors.values_list("pk", flat=True)) == []
    assert opp.order_lost_reason == "first"


@pytest.mark.parametrize(
    ("reasons", "competitors", "field"),
    [
        ([], [], "lost_reasons"),
        (["Made up"], [], "lost_reasons"),
        (["Timing"], ["Nobody Inc"], "competitors"),
    ],
)
def test_declare_lost_refused(sales, reasons, competitors, field):
    opp = make_opportunity(sales)
    before = opportunity_state(opp.name)
    counts = row_counts()
    fields = refused(
        ValidationError,
        crm.declare_opportunity_lost,
        opp,
        lost_reasons=reasons,
        competitors=competitors,
        version=1,
        by=sales,
    )
    assert list(fields) == [field]
    assert opportunity_state(opp.name) == before
    assert row_counts() == counts


def test_declare_lost_refused_while_a_quotation_is_active(sales):
    opp = make_opportunity(sales)
    before = opportunity_state(opp.name)
    with fake_probe() as probe:
        probe.active.add(opp.name)
        with pytest.raises(ConflictError) as info:
            crm.declare_opportunity_lost(opp, lost_reasons=["Timing"], version=1, by=sales)
    assert "quotation" in info.value.message
    assert opportunity_state(opp.name) == before


def test_declare_lost_refused_on_converted(sales):
    opp = make_opportunity(sales)
    with fake_probe() as probe:
        probe.ordered.add(opp.name)
        opp = crm.recompute_opportunity_status(opp)
    assert opp.status == S.CONVERTED
    before = opportunity_state(opp.name)
    with pytest.raises(ConflictError):
        crm.declare_opportunity_lost(opp, lost_reasons=["Timing"], version=opp.version, by=sales)
    assert opportunity_state(opp.name) == before


def test_declare_lost_with_stale_version(sales):
    opp = make_opportunity(sales)
    crm.update_opportunity(opp, data={"title": "x"}, version=1, by=sales)
    before = opportunity_state(opp.name)
    with pytest.raises(StaleVersionError):
        crm.declare_opportunity_lost(opp, lost_reasons=["Timing"], version=1, by=sales)
    assert opportunity_state(opp.name) == before


def test_reopen_clears_reasons_competitors_and_detail(sales):
    _competitors("Acme")
    opp = make_opportunity(sales)
    crm.declare_opportunity_lost(
        opp, lost_reasons=["Timing"], competitors=["Acme"], detail="gone", version=1, by=sales
    )
    opp = crm.reopen_opportunity(opp, version=2, by=sales)
    opp.refresh_from_db()
    assert (opp.status, opp.order_lost_reason, opp.version) == (S.OPEN, "", 3)
    assert list(opp.lost_reasons.all()) == []
    assert list(opp.competitors.all()) == []


def test_setting_open_by_hand_on_lost_clears_reasons(sales):
    opp = make_opportunity(sales)
    crm.declare_opportunity_lost(opp, lost_reasons=["Timing"], detail="gone", version=1, by=sales)
    opp = crm.set_opportunity_status(opp, status=S.OPEN, version=2, by=sales)
    opp.refresh_from_db()
    assert (opp.status, opp.order_lost_reason, list(opp.lost_reasons.all())) == (S.OPEN, "", [])


def test_reopen_closed(sales):
    opp = make_opportunity(sales)
    crm.set_opportunity_status(opp, status=S.CLOSED, version=1, by=sales)
    assert crm.reopen_opportunity(opp, version=2, by=sales).status == S.OPEN


@pytest.mark.parametrize("status", [S.OPEN, S.REPLIED])
def test_reopen_only_from_lost_or_closed(sales, status):
    opp = make_opportunity(sales)
    if status == S.REPLIED:
        opp = crm.set_opportunity_status(opp, status=S.REPLIED, version=1, by=sales)
    before = opportunity_state(opp.name)
    with pytest.raises(ConflictError):
        crm.reopen_opportunity(opp, version=opp.version, by=sales)
    assert opportunity_state(opp.name) == before


def _competitors(*names):
    for name in names:
        Competitor.objects.create(name=name)
    return list(names)


# --- lead conversions and lead status ------------------------------------------------------------
def test_make_opportunity_from_lead(sales, sales2, territories):
    lead = make_lead(
        sales, lead_owner="sales2", territory="Europe", source="Website", mobile_no="555"
    )
    opp = crm.make_opportunity_from_lead(lead, by=sales, data={"opportunity_amount": Decimal(5)})
    assert (opp.opportunity_from, opp.party_name, opp.opportunity_owner) == (
        "Lead",
        lead.name,
        sales2,
    )
    assert (opp.customer_name, opp.contact_display, opp.contact_email, opp.contact_mobile) == (
        "Analytical Engines",
        "Ada Lovelace",
        "ada@engines.example",
        "555",
    )
    assert (opp.territory_id, opp.source_id, opp.opportunity_amount) == (
        "Europe",
        "Website",
        Decimal("5.00"),
    )
    lead.refresh_from_db()
    assert (lead.status, lead.version) == (Lead.Status.OPPORTUNITY, 2)


def test_make_opportunity_from_lead_refused_leaves_lead_alone(sales):
    lead = make_lead(sales)
    counts = row_counts()
    refused(
        ValidationError,
        crm.make_opportunity_from_lead,
        lead,
        by=sales,
        data={"probability": Decimal(150)},
    )
    lead.refresh_from_db()
    assert (lead.status, lead.version) == (Lead.Status.LEAD, 1)
    assert row_counts() == counts


def test_make_customer_from_lead(sales, territories):
    lead = make_lead(sales, territory="Europe", phone="1", mobile_no="2")  # and its contact
    customer = crm.make_customer_from_lead(lead, by=sales)
    assert (
        customer.name,
        customer.customer_name,
        customer.customer_type,
        customer.territory_id,
        customer.email_id,
        customer.phone,
        customer.mobile_no,
        customer.lead_name_id,
    ) == (
        "Analytical Engines",
        "Analytical Engines",
        "Company",
        "Europe",
        "ada@engines.example",
        "1",
        "2",
        lead.name,
    )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    copied = list(customer_contacts(customer))
    assert [(c.full_name, c.email_id, c.is_primary_contact) for c in copied] == [
        ("Ada Lovelace", "ada@engines.example", True)
    ]


def customer_contacts(customer):
    return Contact.objects.filter(link_doctype="Customer", link_name=customer.name)


def test_make_customer_from_opportunity(sales):
    make_rate("EUR", "USD", "1.1")
    lead = make_lead(sales)
    opp = make_opportunity(sales, lead, currency="EUR")
    customer = crm.make_customer_from_opportunity(opp, by=sales)
    assert (
        customer.customer_name,
        customer.default_currency_id,
        customer.opportunity_name_id,
        customer.lead_name_id,
    ) == ("Analytical Engines", "EUR", opp.name, lead.name)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONVERTED
    counts = row_counts()
    with pytest.raises(ConflictError):
        crm.make_customer_from_opportunity(opp, by=sales)
    assert row_counts() == counts


def test_make_customer_from_a_customer_opportunity_refused(sales):
    opp = make_opportunity(sales)
    counts = row_counts()
    with pytest.raises(ConflictError):
        crm.make_customer_from_opportunity(opp, by=sales)
    assert row_counts() == counts


def test_customer_names_do_not_clash(sales):
    make_customer(sales, customer_name="Analytical Engines")
    customer = crm.make_customer_from_lead(make_lead(sales), by=sales)
    assert customer.name == "Analytical Engines - 2"


def test_lead_status_engine(sales):
    lead = make_lead(sales)
    assert lead.status == Lead.Status.LEAD
    opp = make_opportunity(sales, lead)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OPPORTUNITY
    with fake_probe() as probe:
        probe.lead_quoted.add(lead.name)
        crm.recompute_opportunity_status(opp)
        assert Lead.objects.get(pk=lead.pk).status == Lead.Status.QUOTATION
        probe.lead_quoted.clear()
        crm.declare_opportunity_lost(
            opp, lost_reasons=["Timing"], version=opp.version + 1, by=sales
        )
        probe.lead_lost.add(lead.name)
        crm.recompute_opportunity_status(opp)
        assert Lead.objects.get(pk=lead.pk).status == Lead.Status.LOST_QUOTATION
        probe.lead_lost.clear()
    opp.refresh_from_db()
    crm.reopen_opportunity(opp, version=opp.version, by=sales)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OPPORTUNITY
    crm.make_customer_from_lead(lead, by=sales)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONVERTED


def test_do_not_contact_lead_keeps_its_status(sales):
    lead = make_lead(sales, status="Do Not Contact")
    make_opportunity(sales, lead)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.DO_NOT_CONTACT


def test_lead_status_set_by_system_refused_by_hand(sales):
    lead = make_lead(sales)
    fields = refused(
        ValidationError, crm.update_lead, lead, data={"status": "Converted"}, version=1, by=sales
    )
    assert list(fields) == ["status"]


def test_delete_opportunity(sales):
    opp = make_opportunity(sales)
    crm.delete_opportunity(opp, version=opp.version, by=sales)
    assert not Opportunity.objects.filter(pk=opp.pk).exists()


def test_delete_opportunity_with_quotation_refused(sales):
    opp = make_opportunity(sales)
    with fake_probe() as probe:
        probe.active.add(opp.name)
        with pytest.raises(ConflictError):
            crm.delete_opportunity(opp, version=opp.version, by=sales)
    assert Opportunity.objects.filter(pk=opp.pk).exists()


def test_comment(sales):
    opp = make_opportunity(sales)
    comment = crm.add_opportunity_comment(opp, content="  Called them  ", by=sales)
    assert (comment.content, comment.owner, comment.reference_name) == (
        "Called them",
        sales,
        opp.name,
    )
    fields = refused(ValidationError, crm.add_opportunity_comment, opp, content="   ", by=sales)
    assert list(fields) == ["content"]


def test_customer_group_master_default_rows_exist(db):
    assert CustomerGroup.objects.filter(pk="Commercial").exists()
    assert Currency.objects.get(pk="JPY").precision == 0
    assert Currency.objects.get(pk="KWD").precision == 3
