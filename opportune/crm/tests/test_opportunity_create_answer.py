"""The answer to a create is built from what was written (issue 12, "Cheap writes, pass 2"):
byte for byte what reading the new opportunity answers, whatever the create brought (items,
a lead, given decimals, a naive contact date in another time zone, an owner picked by a
round-robin rule, a foreign currency at a given rate)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from opportune.core import api_documents
from opportune.testing import make_customer, make_item, make_lead, make_rate, make_rota


@pytest.fixture
def parties(sales):
    make_item("W1", rate="10")
    make_item("W2", rate="3.333", uom="Kg")
    make_rate("USD", "EUR", "0.912345")
    return make_customer(sales), make_lead(sales)


def bodies(customer, lead):
    of_customer = {"opportunity_from": "Customer", "party_name": customer.name}
    return [
        {**of_customer, "items": [{"item_code": "W1", "qty": 1}, {"item_code": "W2", "qty": 3}]},
        {
            **of_customer,
            "currency": "USD",
            "items": [{"item_code": "W2", "qty": "1.5", "rate": "7.125"}],
            "expected_closing": "2999-02-03",
            "probability": "33.5",
        },
        {**of_customer, "currency": "USD", "conversion_rate": "1.23456789"},
        {
            "opportunity_from": "Lead",
            "party_name": lead.name,
            "contact_date": "2999-01-01T10:00:00",
            "contact_by": "manager",
            "opportunity_amount": 1250,
            "title": "Ünïcode title",
        },
        {**of_customer, "opportunity_owner": "sales", "source": "Website", "with_items": True},
    ]


def created_and_read(api, body):
    created = api.post("opportunities", body)
    assert created.status_code == 201, created.content
    read = api.get(f"opportunities/{created.json()['name']}")
    return created, read


@pytest.mark.parametrize("time_zone", ["UTC", "Europe/Berlin"])
def test_the_answer_to_a_create_is_what_reading_it_answers(
    parties, sales, manager, api_as, time_zone
):
    with override_settings(TIME_ZONE=time_zone):
        for body in bodies(*parties):
            created, read = created_and_read(api_as(sales), body)
            assert created.content == read.content, body


def test_with_an_owner_picked_by_a_rule(parties, sales, manager, api_as):
    make_rota(manager, "status", "Open", users=2)
    owners = []
    for body in bodies(*parties):
        created, read = created_and_read(api_as(manager), body)
        assert created.content == read.content, body
        owners.append(created.json()["opportunity_owner"])
        # the rule ran before the INSERT, which wrote its owner (decision 0039)
        assert created.json()["version"] == 1
    assert owners == ["rota0", "rota1", "rota0", "rota1", "rota0"]


def test_the_document_is_read_when_the_item_engine_did_not_say_what_it_wrote(
    parties, sales, api_as, monkeypatch
):
    """Without what the item engine wrote, the new document is read, as before."""
    from opportune.crm import api

    answers = []
    for written_of in (api.written_of, lambda _document: None):
        monkeypatch.setattr(api, "written_of", written_of)
        created, read = created_and_read(api_as(sales), bodies(*parties)[1])
        assert created.content == read.content
        answers.append({k: v for k, v in created.json().items() if k not in TIMES})
    assert answers[0] == {**answers[1], "name": answers[0]["name"]}
    assert api_documents.DocumentApi.answer_created is None  # other documents are read


TIMES = {"creation", "modified"}
