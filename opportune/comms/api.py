"""JSON API of the email engine (API.md): email accounts (managers: CRUD, passwords write-only)
and raw MIME from a mail gateway (``inbound-email``). The thread of a document is its app's
(crm: ``opportunities/{name}/communications``)."""

# No ``from __future__ import annotations``: ninja reads the views' annotations as classes.

from typing import Any

from ninja import Query, Router, Status

from opportune.accounts.auth import API_AUTH
from opportune.comms import access, services
from opportune.comms.models import EmailAccount
from opportune.comms.schemas import (
    EmailAccountCreate,
    EmailAccountOut,
    EmailAccountPatch,
    InboundOut,
)
from opportune.core.api import ApiRequest, ListParams, paginate, version_from
from opportune.core.api_documents import created, no_content, ok, page, payload_data
from opportune.core.api_gate import gated
from opportune.core.errors import ValidationError

router = Router(tags=["email"])
MANAGERS_ONLY = gated(API_AUTH, access.can_manage_email, "Only managers handle email accounts.")
INBOUND_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")


@router.get("/email-accounts", auth=MANAGERS_ONLY, response=page(EmailAccountOut))
def list_email_accounts(request: ApiRequest, params: Query[ListParams]) -> dict[str, Any]:
    return paginate(EmailAccount.objects.all(), params, orderings=("name",), default="name")


@router.post("/email-accounts", auth=MANAGERS_ONLY, response=created(EmailAccountOut))
def create_email_account(request: ApiRequest, payload: EmailAccountCreate) -> Status[Any]:
    account = services.create_email_account(data=payload_data(payload), by=request.auth)
    return Status(201, account)


@router.get("/email-accounts/{name}", auth=MANAGERS_ONLY, response=ok(EmailAccountOut))
def get_email_account(request: ApiRequest, name: str) -> EmailAccount:
    return access.get_account_for(request.auth, name)


@router.patch("/email-accounts/{name}", auth=MANAGERS_ONLY, response=ok(EmailAccountOut))
def update_email_account(request: ApiRequest, name: str, payload: EmailAccountPatch) -> Any:
    account = access.get_account_for(request.auth, name)
    return services.update_email_account(
        account,
        data=payload_data(payload),
        version=version_from(request, payload.version),
        by=request.auth,
    )


@router.delete("/email-accounts/{name}", auth=MANAGERS_ONLY, response=no_content())
def delete_email_account(request: ApiRequest, name: str) -> Status[None]:
    services.delete_email_account(access.get_account_for(request.auth, name), by=request.auth)
    return Status(204, None)


@router.post(
    "/inbound-email",
    auth=MANAGERS_ONLY,
    response={200: InboundOut, 201: InboundOut, **created(InboundOut)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    description="One raw message (Content-Type: message/rfc822) from a mail gateway, threaded "
    "onto its document. 201 when new, 200 when its Message-ID was taken in before.",
)
def inbound_email(request: ApiRequest, account: str | None = None) -> Status[Any]:
    content_type = request.content_type or ""
    if content_type not in INBOUND_TYPES:
        raise ValidationError.for_field("body", "Send the raw message as message/rfc822.")
    raw = request.body
    if not raw.strip():
        raise ValidationError.for_field("body", "The message is empty.")
    chosen = services.account_by_name(account[:140]) if account else None
    communication, new = services.ingest_email(raw, account=chosen)
    out = {
        "id": communication.pk,
        "created": new,
        "reference_doctype": communication.reference_doctype,
        "reference_name": communication.reference_name,
        "is_automatic": communication.is_automatic,
    }
    return Status(201 if new else 200, out)
