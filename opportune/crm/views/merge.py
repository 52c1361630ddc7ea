"""The merge page of a lead or a customer (managers): choose the one it goes into, then, field by
field, whose value to keep; the merge itself is crm.services.merge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from opportune.core.errors import ConflictError, ValidationError
from opportune.core.pages import as_http
from opportune.crm import access, services
from opportune.crm.models import Customer, Lead
from opportune.crm.services.merge import THIS, title_of

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

PAGES: dict[str, tuple[type[Lead] | type[Customer], Any]] = {
    "Lead": (Lead, access.get_lead_for),
    "Customer": (Customer, access.get_customer_for),
}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


@login_required
@as_http
def lead_merge(request: SignedInRequest, name: str) -> HttpResponse:
    return merge_page(request, "Lead", name)


@login_required
@as_http
def customer_merge(request: SignedInRequest, name: str) -> HttpResponse:
    return merge_page(request, "Customer", name)


def merge_page(request: SignedInRequest, doctype: str, name: str) -> HttpResponse:
    model, get_for = PAGES[doctype]
    document = get_for(request.user, name, write=True)  # 404 to who does not see it
    services.check_may_merge(doctype, request.user)
    url = f"crm:{doctype.lower()}"
    data = request.POST if request.method == "POST" else request.GET
    into_name = (data.get("into") or "").strip()
    fields = services.merge_fields(model)
    if request.method == "POST":
        keep = {f: data.get(f"keep_{f}", "into") for f in fields}
        version, into_version = data.get("version") or "", data.get("into_version") or ""
        try:
            survivor = services.merge_party(
                model,
                document,
                into=into_name,
                keep=keep,
                version=int(version) if version.isdigit() else None,
                into_version=int(into_version) if into_version.isdigit() else None,
                by=request.user,
            )
        except (ValidationError, ConflictError) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{doctype} {name} was merged into {survivor.name}.")
            return redirect(f"{url}_detail", name=survivor.name)
    survivor_doc = None
    if into_name and into_name != name:
        survivor_doc = model._default_manager.filter(pk=into_name).first()
        if survivor_doc is None:
            messages.error(request, f"{doctype} '{into_name}' does not exist.")
    rows = []
    if survivor_doc is not None:
        for field in fields:
            f: Any = model._meta.get_field(field)
            mine, theirs = getattr(document, f.attname), getattr(survivor_doc, f.attname)
            rows.append(
                {
                    "field": field,
                    "label": str(f.verbose_name).capitalize(),
                    "this": _shown(mine),
                    "into": _shown(theirs),
                    "differ": mine != theirs,
                    "keep_this": data.get(f"keep_{field}") == THIS,
                }
            )
    choices = model._default_manager.exclude(pk=name).order_by("-modified")[:200]
    return render(
        request,
        "crm/party_merge.html",
        {
            "doctype": doctype,
            "doc": document,
            "title": title_of(document),
            "into": survivor_doc,
            "into_title": title_of(survivor_doc) if survivor_doc is not None else "",
            "into_name": into_name,
            "choices": [(c.pk, title_of(c)) for c in choices],
            "rows": rows,
            "detail_url": f"{url}_detail",
            "merge_url": f"{url}_merge",
        },
    )
