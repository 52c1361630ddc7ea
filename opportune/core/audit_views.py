"""The audit pages (managers only; anyone else gets a 403): the audit log of masters and
settings, and the deleted documents with their restore button. Thin adapters over
core.auditlog and core.deleted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opportune.core import deleted as deleted_documents
from opportune.core.audit import DOORS, can_audit
from opportune.core.auditlog import MASTER, SETTINGS, AuditQuery, audit_log, audited_models
from opportune.core.errors import ConflictError, ValidationError
from opportune.core.pages import PAGE_SIZE, as_http, paginated
from opportune.core.slots import NavLink

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

AUDIT_PAGE_KINDS = (MASTER, SETTINGS)


def nav_links(user: Any) -> list[NavLink]:
    """ "Audit" in the main navigation, for those who may read it."""
    if not can_audit(user):
        return []
    return [NavLink("Audit", reverse("audit_log"), ("/audit/",), 90)]


def _require_auditor(request: SignedInRequest) -> None:
    if not can_audit(request.user):
        raise PermissionDenied("Only managers may read the audit trail.")


@login_required
def audit_log_page(request: SignedInRequest) -> HttpResponse:
    """Every change of the masters and settings, newest first, filtered by the query string."""
    _require_auditor(request)
    get = request.GET
    values = {k: get.get(k, "").strip()[:150] or None for k in ("doctype", "name", "user", "door")}
    errors: dict[str, str] = {}
    query = AuditQuery(**values, kinds=AUDIT_PAGE_KINDS)
    try:
        page = audit_log(query, limit=PAGE_SIZE, cursor=get.get("cursor") or None)
    except ValidationError as exc:
        errors = {f: m[0] for f, m in exc.fields.items()} or {"": exc.message}
        page = {"results": [], "next_cursor": None}
    doctypes = [a.doctype for a in audited_models().values() if a.kind in AUDIT_PAGE_KINDS]
    # the filter's user is "user_filter": "user" is the signed-in user (base.html's header)
    filters = {("user_filter" if k == "user" else k): v for k, v in values.items()}
    context = {"page": page, "errors": errors, "doctypes": doctypes, "doors": DOORS, **filters}
    return render(request, "core/audit_log.html", context)


@login_required
@as_http
def deleted_documents_page(request: SignedInRequest) -> HttpResponse:
    rows = deleted_documents.deleted_visible_to(request.user)
    doctype = request.GET.get("doctype", "").strip()[:60]
    if doctype:
        rows = rows.filter(doctype=doctype)
    errors: dict[str, str] = {}
    page = paginated(rows, request.GET, errors, orderings=("deleted_at",), default="-deleted_at")
    context = {"page": page, "errors": errors, "doctype": doctype}
    return render(request, "core/deleted_documents.html", context)


@login_required
@as_http
def deleted_document_page(request: SignedInRequest, id: int) -> HttpResponse:
    kept = deleted_documents.get_deleted_for(request.user, id)
    records: list[dict[str, Any]] = kept.data.get("records", [])
    document = records[0]["fields"] if records else {}
    rows = [r["fields"] for r in records[1:]]
    context = {
        "kept": kept,
        "fields": sorted(document.items()),
        "rows": rows,
        "row_columns": sorted({k for r in rows for k in r}),
        "raw": json.dumps(kept.data, indent=2, ensure_ascii=False),
    }
    return render(request, "core/deleted_document.html", context)


@login_required
@require_POST
@as_http
def deleted_document_restore(request: SignedInRequest, id: int) -> HttpResponse:
    kept = deleted_documents.get_deleted_for(request.user, id)
    try:
        deleted_documents.restore_deleted_document(kept, by=request.user)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{kept.doctype} {kept.name} was restored.")
    return redirect("deleted_document", id=kept.pk)
