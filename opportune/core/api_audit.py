"""JSON API of the audit trail: the audit log and the deleted documents (managers only; for
anyone else a 403: the endpoints are known to all, their content is not for them). There is no
route that writes history; a deleted document can only be restored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from opportune.core import deleted as deleted_documents
from opportune.core.api import ApiRequest, ListParams, Page, paginate
from opportune.core.audit import DOORS, can_audit
from opportune.core.auditlog import AuditQuery, audit_log
from opportune.core.errors import PermissionDeniedError
from opportune.core.fields import reject_nul
from opportune.core.models import DeletedDocument
from opportune.core.schemas import ERRORS

router = Router(tags=["audit"])


def require_auditor(user: Any) -> None:
    if not can_audit(user):
        raise PermissionDeniedError("Only managers may read the audit trail.")


# --- audit log ---------------------------------------------------------------------------------
class ChangeOut(Schema):
    field: str
    old: Any = None
    new: Any = None


class AuditEntryOut(Schema):
    id: str = Field(description="'<doctype>:<history id>'")
    doctype: str
    name: str
    action: str = Field(description="created, changed, deleted or restored")
    at: datetime
    user: str | None
    door: str = Field(description=f"one of: {', '.join(DOORS)}")
    changes: list[ChangeOut]


class AuditParams(Schema):
    doctype: str | None = Field(None, max_length=60, description="e.g. Opportunity, Sales Stage")
    name: str | None = Field(None, max_length=140)
    user: str | None = Field(None, max_length=150, description="username")
    door: str | None = Field(None, max_length=10, description=f"one of: {', '.join(DOORS)}")
    limit: int = Field(20, ge=1, le=settings.API_MAX_PAGE_SIZE)
    cursor: str | None = Field(None, max_length=500)

    _no_nul = field_validator("doctype", "name", "user", "door", "cursor", mode="before")(
        reject_nul
    )


@router.get(
    "/audit-log", response={200: Page[AuditEntryOut], **ERRORS}, operation_id="list_audit_log"
)
def list_audit_log(request: ApiRequest, params: Query[AuditParams]) -> dict[str, Any]:
    """Every recorded change (documents, masters, settings), newest first: who, when, the
    values before and after, and the door (page, api, job, import, command, system)."""
    require_auditor(request.auth)
    query = AuditQuery(doctype=params.doctype, name=params.name, user=params.user, door=params.door)
    return audit_log(query, limit=params.limit, cursor=params.cursor)


# --- deleted documents -------------------------------------------------------------------------
class DeletedDocumentOut(Schema):
    id: int
    doctype: str
    name: str
    deleted_by: str | None = Field(None, alias="deleted_by.username")
    deleted_at: datetime
    door: str
    restored: bool
    restored_at: datetime | None
    restored_by: str | None = Field(None, alias="restored_by.username")


class DeletedDocumentDetailOut(DeletedDocumentOut):
    data: dict[str, Any] = Field(
        description="records: the document, then its item rows, as Django serialises them"
    )


class DeletedFilters(Schema):
    doctype: str | None = Field(None, max_length=60)
    name: str | None = Field(None, max_length=140)
    restored: bool | None = None

    _no_nul = field_validator("doctype", "name", mode="before")(reject_nul)

    def filter(self, rows: QuerySet[DeletedDocument]) -> QuerySet[DeletedDocument]:
        if self.doctype:
            rows = rows.filter(doctype=self.doctype)
        if self.name:
            rows = rows.filter(name=self.name)
        if self.restored is not None:
            rows = rows.filter(restored=self.restored)
        return rows


def _search(rows: QuerySet[Any], q: str) -> QuerySet[Any]:
    return rows.filter(name__icontains=q)


@router.get(
    "/deleted-documents",
    response={200: Page[DeletedDocumentOut], **ERRORS},
    operation_id="list_deleted_documents",
)
def list_deleted_documents(
    request: ApiRequest, params: Query[ListParams], filters: Query[DeletedFilters]
) -> dict[str, Any]:
    """Documents and masters deleted through the services, newest first."""
    rows = filters.filter(deleted_documents.deleted_visible_to(request.auth))
    return paginate(rows, params, orderings=("deleted_at",), default="-deleted_at", search=_search)


@router.get(
    "/deleted-documents/{id}",
    response={200: DeletedDocumentDetailOut, **ERRORS},
    operation_id="get_deleted_document",
)
def get_deleted_document(request: ApiRequest, id: int) -> DeletedDocument:
    return deleted_documents.get_deleted_for(request.auth, id)


@router.post(
    "/deleted-documents/{id}/restore",
    response={200: DeletedDocumentOut, **ERRORS},
    operation_id="restore_deleted_document",
)
def restore_deleted_document(request: ApiRequest, id: int) -> DeletedDocument:
    """Bring the document back exactly (same name, values and item rows); 409 when its name
    is taken again or a record it refers to is gone (nothing changes)."""
    kept = deleted_documents.get_deleted_for(request.auth, id)
    deleted_documents.restore_deleted_document(kept, by=request.auth)
    return deleted_documents.get_deleted_for(request.auth, id)
