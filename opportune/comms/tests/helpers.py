"""The world the corpus is written for: three customers with a contact and an open opportunity
each, a lead, and the two emails the corpus replies to (their Message-IDs are in it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opportune.comms.models import Communication
from opportune.crm import services as crm
from opportune.testing import at, make_customer, make_lead, make_opportunity

CORPUS = Path(__file__).parent / "corpus"
OPP1_MSG = "<opportune.0123456789abcdef01234567@sales.example>"
OPP2_MSG = "<opportune.fedcba9876543210fedcba98@sales.example>"


@dataclass
class World:
    opp1: Any
    opp2: Any
    opp3: Any
    lead: Any


def _customer_with_contact(user, customer_name, first_name, email):
    customer = make_customer(user, customer_name=customer_name)
    crm.create_contact(
        data={
            "first_name": first_name,
            "email_id": email,
            "link_doctype": "Customer",
            "link_name": customer.name,
        },
        by=user,
    )
    return customer


def sent(opportunity, message_id: str, token: str, user) -> Communication:
    return Communication.objects.create(
        reference_doctype="Opportunity",
        reference_name=opportunity.name,
        sent_or_received="Sent",
        status="Sent",
        subject="Your quotation",
        sender="sales@sales.example",
        recipients="x@example.com",
        text_content="Dear customer, please find our offer below.",
        message_id=message_id,
        routing_token=token,
        owner=user,
    )


def build_world(user) -> World:
    when = at(2026, 11, 30, 9)
    babbage = _customer_with_contact(user, "Babbage Ltd", "Grace", "grace@babbage.example")
    tanaka = _customer_with_contact(user, "Tanaka KK", "Taro", "taro@tanaka.example.jp")
    ivanov = _customer_with_contact(user, "Ivanov OOO", "Ivan", "ivan@ivanov.example.ru")
    opp1 = make_opportunity(user, babbage, now=when, contact_email="grace@babbage.example")
    opp2 = make_opportunity(user, tanaka, now=when)
    opp3 = make_opportunity(user, ivanov, now=when)
    assert [opp1.name, opp2.name, opp3.name] == [
        "CRM-OPP-2026-00001",
        "CRM-OPP-2026-00002",
        "CRM-OPP-2026-00003",
    ]
    lead = make_lead(user, lead_name="Ada Lovelace", email_id="ada@engines.example")
    sent(opp1, OPP1_MSG, "0123456789abcdef01234567", user)
    sent(opp2, OPP2_MSG, "fedcba9876543210fedcba98", user)
    return World(opp1, opp2, opp3, lead)


def raw(name: str) -> bytes:
    return (CORPUS / name).read_bytes()
