"""``<path>/{name}/comments`` of a CRM document with a timeline (opportunities, leads): one
definition, so a lead's comments answer exactly as an opportunity's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Router, Status

from opportune.core.api import ApiRequest
from opportune.core.api_documents import DocumentApi, add_document_operation, created, ok
from opportune.core.models import Comment
from opportune.crm.schemas import CommentIn, CommentOut


def add_comment_routes(
    router: Router,
    doc: DocumentApi,
    doctype: str,
    service: Callable[..., Comment],
    *,
    list_operation: str | None = None,
    add_operation: str | None = None,
) -> None:
    """GET (the users' comments, newest first) and POST (``service(document, content=...,
    by=user)``, answering 201 and the comment) on ``<doc.path>/{name}/comments``."""

    def list_comments(request: ApiRequest, name: str) -> Any:
        doc.lookup(request.auth, name)
        return Comment.objects.filter(
            reference_doctype=doctype, reference_name=name, comment_type=Comment.Type.COMMENT
        ).select_related("owner")

    def add_comment(request: ApiRequest, name: str, payload: CommentIn) -> Any:
        document = doc.lookup(request.auth, name, write=True)
        return Status(201, service(document, content=payload.content, by=request.auth))

    add_document_operation(
        router,
        doc,
        "GET",
        "/{name}/comments",
        list_comments,
        operation=list_operation or f"list_{doc.one}_comments",
        response=ok(list[CommentOut]),
        description=f"The users' comments on the {doctype.lower()}, newest first.",
    )
    add_document_operation(
        router,
        doc,
        "POST",
        "/{name}/comments",
        add_comment,
        operation=add_operation or f"add_{doc.one}_comment",
        response=created(CommentOut),
        description=f"A comment on the {doctype.lower()}'s timeline; @username tells that "
        "user, if they may see it.",
    )
