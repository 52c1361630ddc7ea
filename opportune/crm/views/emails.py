"""Writing an email from an opportunity or a lead (the party's contacts offered), and an email's
attachment, handed out to who sees its document. The email is queued (comms' outbox) and sent by
the worker; the document's page shows it queued until it left."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render

from opportune.comms.models import Communication, CommunicationAttachment
from opportune.comms.services import MAX_ATTACHMENTS, OutgoingAttachment, queue_email
from opportune.core.errors import NotFoundError, ValidationError
from opportune.core.pages import as_http
from opportune.crm import access
from opportune.crm.models import Contact, Lead, Opportunity

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest


def _contacts(doctype: str, name: str) -> list[tuple[str, str]]:
    """(address, label) of the people at the party, to offer as recipients."""
    rows = Contact.objects.filter(link_doctype=doctype, link_name=name).exclude(email_id="")
    return [(c.email_id, f"{c.first_name} {c.last_name}".strip()) for c in rows[:50]]


def _offered(document: Opportunity | Lead) -> list[tuple[str, str]]:
    offered: list[tuple[str, str]] = []
    if isinstance(document, Opportunity):
        if document.contact_email:
            offered.append((document.contact_email, document.contact_display or ""))
        offered += _contacts(document.opportunity_from, document.party_name)
        if document.lead is not None and document.lead.email_id:
            offered.append((document.lead.email_id, document.lead.lead_name))
    else:
        if document.email_id:
            offered.append((document.email_id, document.lead_name))
        offered += _contacts("Lead", document.name)
    seen: set[str] = set()
    unique = []
    for address, label in offered:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append((address, label))
    return unique


def _compose(request: SignedInRequest, document: Opportunity | Lead, detail: str) -> HttpResponse:
    offered = _offered(document)
    last = (
        Communication.objects.filter(reference_doctype=document.doctype, reference_name=document.pk)
        .order_by("-communication_date", "-pk")
        .values_list("subject", flat=True)
        .first()
    )
    values: dict[str, Any] = {
        "to": "",
        "chosen": [offered[0][0]] if offered else [],
        "cc": "",
        "subject": (last if last and last.lower().startswith("re:") else f"Re: {last}")
        if last
        else str(getattr(document, "title", "") or document.pk),
        "content": "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            "to": request.POST.get("to", ""),
            "chosen": request.POST.getlist("contacts"),
            "cc": request.POST.get("cc", ""),
            "subject": request.POST.get("subject", ""),
            "content": request.POST.get("content", ""),
        }
        files = request.FILES.getlist("attachments")
        try:
            if len(files) > MAX_ATTACHMENTS:
                raise ValidationError.for_field("attachments", f"At most {MAX_ATTACHMENTS} files.")
            queue_email(
                reference_doctype=document.doctype,
                reference_name=document.pk,
                recipients=[*values["chosen"], values["to"]],
                cc=values["cc"],
                subject=values["subject"],
                content=values["content"],
                attachments=[
                    OutgoingAttachment(
                        f.name or "file", f.content_type or "application/octet-stream", f.read()
                    )
                    for f in files
                ],
                by=request.user,
            )
        except ValidationError as exc:
            errors = {field: " ".join(msgs) for field, msgs in exc.fields.items()}
            errors = errors or {"general": exc.message}
        else:
            messages.success(request, "Email queued: it is sent in a moment.")
            return redirect(detail, name=document.pk)
    return render(
        request,
        "crm/email_form.html",
        {
            "document": document,
            "detail": detail,
            "offered": offered,
            "values": values,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@login_required
@as_http
def opportunity_email(request: SignedInRequest, name: str) -> HttpResponse:
    opportunity = access.get_opportunity_for(request.user, name, write=True)
    return _compose(request, opportunity, "crm:opportunity_detail")


@login_required
@as_http
def lead_email(request: SignedInRequest, name: str) -> HttpResponse:
    lead = access.get_lead_for(request.user, name, write=True)
    return _compose(request, lead, "crm:lead_detail")


@login_required
@as_http
def email_attachment(request: SignedInRequest, pk: int) -> FileResponse:
    """A file of an email, to who sees the email's document; always downloaded, never shown
    inline (a received HTML or SVG file never runs in the app's origin)."""
    attachment = (
        CommunicationAttachment.objects.select_related("communication").filter(pk=pk).first()
    )
    if attachment is None:
        raise NotFoundError("No such file.")
    communication = attachment.communication
    if communication.reference_doctype == Opportunity.doctype:
        access.get_opportunity_for(request.user, communication.reference_name)
    elif communication.reference_doctype == Lead.doctype:
        access.get_lead_for(request.user, communication.reference_name)
    else:
        raise NotFoundError("No such file.")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
