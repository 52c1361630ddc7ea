"""The emails of an opportunity or a lead (API.md): GET the thread, POST sends one (queued in
the outbox; the worker sends it). Who sees the document sees its emails; who may change it may
write."""

# No ``from __future__ import annotations``: ninja reads the views' annotations as classes.

from typing import Any

from ninja import Router, Status

from opportune.comms.schemas import CommunicationIn, CommunicationOut
from opportune.comms.services import queue_email, thread_of
from opportune.core.api import ApiRequest
from opportune.core.schemas import ERRORS
from opportune.crm import access

router = Router()


def _send(doctype: str, name: str, payload: CommunicationIn, by: Any) -> Status[Any]:
    communication = queue_email(
        reference_doctype=doctype,
        reference_name=name,
        recipients=payload.recipients,
        cc=payload.cc,
        subject=payload.subject,
        content=payload.content,
        by=by,
    )
    return Status(201, thread_of(doctype, name, pk=communication.pk)[0])


@router.get(
    "/opportunities/{name}/communications",
    response={200: list[CommunicationOut], **ERRORS},
    tags=["opportunities"],
)
def list_opportunity_communications(request: ApiRequest, name: str) -> list[Any]:
    opportunity = access.get_opportunity_for(request.auth, name)
    return thread_of("Opportunity", opportunity.name)


@router.post(
    "/opportunities/{name}/communications",
    response={201: CommunicationOut, **ERRORS},
    tags=["opportunities"],
    description="Send an email about the opportunity: queued now, sent by the worker (status "
    "Queued, then Sent). Open becomes Replied; the first one sets the first response.",
)
def send_opportunity_email(request: ApiRequest, name: str, payload: CommunicationIn) -> Any:
    opportunity = access.get_opportunity_for(request.auth, name, write=True)
    return _send("Opportunity", opportunity.name, payload, request.auth)


@router.get(
    "/leads/{name}/communications",
    response={200: list[CommunicationOut], **ERRORS},
    tags=["leads"],
)
def list_lead_communications(request: ApiRequest, name: str) -> list[Any]:
    lead = access.get_lead_for(request.auth, name)
    return thread_of("Lead", lead.name)


@router.post(
    "/leads/{name}/communications",
    response={201: CommunicationOut, **ERRORS},
    tags=["leads"],
    description="Send an email to the lead: queued now, sent by the worker.",
)
def send_lead_email(request: ApiRequest, name: str, payload: CommunicationIn) -> Any:
    lead = access.get_lead_for(request.auth, name, write=True)
    return _send("Lead", lead.name, payload, request.auth)
