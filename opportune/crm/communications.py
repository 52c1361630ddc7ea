"""What crm tells the email engine (comms.registry), registered in ``CrmConfig.ready()``: which
names are its documents (the ``[CRM-OPP-...]`` subject tag), where a sender's mail belongs, the
lead made for an unknown sender, and the effects of an email on an opportunity; and the emails
on the timelines of opportunities and leads (comms.timeline)."""

from __future__ import annotations

from typing import Any, cast

from django.urls import reverse

from opportune.comms.registry import Reference, Threading, register_threading
from opportune.comms.timeline import email_entries
from opportune.core.timeline import register_source
from opportune.crm.models import Contact, Lead, Opportunity
from opportune.crm.services.email_effects import apply_email_received, apply_email_sent
from opportune.crm.services.parties import create_lead, party_for_email

OPEN = (Opportunity.Status.OPEN, Opportunity.Status.REPLIED, Opportunity.Status.QUOTATION)


def resolve_name(name: str) -> str | None:
    if name.startswith("CRM-OPP-") and Opportunity.objects.filter(pk=name).exists():
        return Opportunity.doctype
    if name.startswith("CRM-LEAD-") and Lead.objects.filter(pk=name).exists():
        return Lead.doctype
    return None


def match_sender(address: str) -> Reference | None:
    """The latest open opportunity of the sender (its contact email, or its party: a customer
    through a contact, a lead by its address); else the sender's lead while it has no open
    opportunity; else None."""
    open_opportunities = Opportunity.objects.filter(status__in=OPEN).order_by("-creation")
    direct = open_opportunities.filter(contact_email__iexact=address).values_list("pk", flat=True)
    found = direct.first()
    if found is not None:
        return Opportunity.doctype, found
    party = party_for_email(address)
    if party is None:
        contact = (
            Contact.objects.filter(email_id__iexact=address, link_doctype="Lead")
            .values_list("link_name", flat=True)
            .first()
        )
        party = ("Lead", contact) if contact else None
    if party is None:
        return None
    kind, name = party
    found = (
        open_opportunities.filter(opportunity_from=kind, party_name=name)
        .values_list("pk", flat=True)
        .first()
    )
    if found is not None:
        return Opportunity.doctype, found
    if kind == "Lead":
        return Lead.doctype, name
    return kind, name  # a customer without an open opportunity: kept on the customer


def create_for_sender(address: str, display_name: str) -> Reference | None:
    local = address.split("@", 1)[0]
    derived = " ".join(p.capitalize() for p in local.replace("_", ".").split(".") if p)
    lead = create_lead(
        data={"lead_name": (display_name or derived or "Unknown")[:140], "email_id": address},
        by=cast(Any, None),  # made by the mail, not by a user
    )
    return Lead.doctype, lead.name


def url(doctype: str, name: str) -> str:
    if doctype == Opportunity.doctype:
        return reverse("crm:opportunity_detail", args=[name])
    if doctype == Lead.doctype:
        return reverse("crm:lead_detail", args=[name])
    return ""


def register() -> None:
    register_threading(
        Threading(
            doctypes=(Opportunity.doctype, Lead.doctype, "Customer"),
            resolve_name=resolve_name,
            match_sender=match_sender,
            create_for_sender=create_for_sender,
            on_sent=apply_email_sent,
            on_received=apply_email_received,
            url=url,
        )
    )
    for doctype in (Opportunity.doctype, Lead.doctype):
        register_source(doctype, email_entries)  # their emails on their timelines
