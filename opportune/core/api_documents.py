"""A document's standard endpoints, declared once (API.md): list with filters and a cursor,
create (201), read, change with the version read (body or If-Match), delete, actions
(``POST .../{name}/<verb>``) and the timeline.

An app's ``api.py`` declares a ``DocumentApi`` naming what differs (path, tag, schemas, filters,
access functions, services) and calls ``add_document_routes``; the operation ids, summaries and
URL names are those ninja gives a hand-written function (``<module>_<operation>``).
"""

# No ``from __future__ import annotations`` here: the views' annotations name the schemas held
# in a DocumentApi, which ninja must see as classes, not strings. Those annotations are chosen at
# run time, which no static checker can follow: the ``type: ignore`` on them.

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from ninja import FilterSchema, Query, Router, Schema, Status
from ninja.constants import NOT_SET

from opportune.core.access import get_visible
from opportune.core.api import ApiRequest, ListParams, Page, paginate, version_from
from opportune.core.api_gate import gated
from opportune.core.api_lists import ListRows, Plan, RowParams, expand, lean, linked
from opportune.core.api_read import read_one
from opportune.core.commits import one_write
from opportune.core.errors import NotFoundError, PermissionDeniedError
from opportune.core.schemas import ERRORS, TimelineEntryOut, VersionIn
from opportune.core.statements import Placeholders, Statement, visible_statement
from opportune.core.timeline import TimelineEntry, timeline_for

View = Callable[..., Any]
Search = Callable[[QuerySet[Any], str], QuerySet[Any]]


def payload_data(payload: Schema) -> dict[str, Any]:
    """What a request body sets (only the fields sent), without the version it was read at."""
    return payload.model_dump(exclude_unset=True, exclude={"version"})


# The responses an operation declares: its success and the errors every endpoint answers.
def ok(schema: Any) -> dict[int, Any]:
    return {200: schema, **ERRORS}


def created(schema: Any) -> dict[int, Any]:
    return {201: schema, **ERRORS}


def page(schema: Any) -> dict[int, Any]:
    return {200: Page[schema], **ERRORS}


def no_content() -> dict[int, Any]:
    return {204: None, **ERRORS}


@dataclass(frozen=True, kw_only=True)
class DocumentApi:
    """One document type under ``/api/v1/<path>``: what differs from the others."""

    path: str  # "sales-orders"
    tag: str  # "sales orders"
    one: str  # "sales_order": names the operations (create_sales_order, sales_order_timeline)
    many: str  # "sales_orders": names the list (list_sales_orders) and what creating is
    module: str  # the adapter's __name__: operation ids are "<module>_<operation>", as ninja's
    out: type[Schema]
    create_in: type[Schema]
    patch_in: type[Schema]
    filters: type[FilterSchema]
    orderings: Sequence[str]
    nullable: frozenset[str] = frozenset()
    search: Search | None = None
    distinct: bool = False  # a filter joins a to-many relation
    visible: Callable[[Any], QuerySet[Any]]  # access's <many>_visible_to(user)
    related: tuple[str, ...] = ()  # what ``out`` reads beside owner and modified_by: joined
    # and fetched after: the child tables and many-to-many fields, which a list row answers
    # only when asked (``expand=items``, core/api_lists.py)
    prefetch: tuple[str, ...] = ()
    lookup: Callable[..., Model]  # access's get_<one>_for(user, name, *, write=False)
    # the change's lookup reads the row FOR UPDATE (``lookup(..., lock=True)``), which the
    # service then changes as read (``update(..., row_locked=True)``): no claim of its own
    update_locks_lookup: bool = False
    can_create: Callable[[Any], bool]
    check_links: Callable[[Any, Any], None] | None = None  # the linked documents are visible
    create: Callable[..., Model]  # services.create_<one>(*, data, by)
    update: Callable[..., Any]  # services.update_<one>(doc, *, data, version, by)
    delete: Callable[..., Any]  # services.delete_<one>(doc, *, version, by)
    actions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)  # verb: service
    timeline: str | None = None  # the doctype whose timeline ``<path>/{name}/timeline`` answers
    # the API's authentications: when given, creating is refused (403) by ``can_create`` before
    # the body is validated (core/api_gate.py), as for masters
    auth: Sequence[Any] = ()
    # fills, for a list's page of rows in one query, what ``out``'s resolvers read from
    # elsewhere (crm: the win predictions), given the fields the list answers
    decorate: Callable[[list[Any], frozenset[str]], None] | None = None
    # the answer to a create: ``prefetch``es a document just created cannot have yet (read not),
    # and a hook that fills them, and whatever else its resolvers would read, as empty
    created_without: tuple[str, ...] = ()
    prime_created: Callable[[Any], None] | None = None
    # the answer to a create built from the document the service returned, as it was written
    # (no read); None from it: read it as ``out_for`` does
    answer_created: Callable[[Any], Model | None] | None = None
    # GET one reads the document as a lean list row, then its child tables in two queries
    # (core/api_read.py); off: one joined read, each child table prefetched
    lean_read: bool = False

    def rows(self, user: Any) -> QuerySet[Any]:
        """What the user sees, with all that ``out`` reads."""
        rows = self.visible(user).select_related("owner", "modified_by", *self.related)
        return rows.prefetch_related(*self.prefetch)

    def out_for(self, user: Any, name: Any, *, created: bool = False) -> Model:
        """The document as ``out`` reads it, after a permission-checked write. A write may take
        the document out of the writer's sight (a sales user handing over an opportunity they
        did not create): the answer is still what was written. ``created``: it was just created,
        so what ``created_without`` names is not read (``prime_created`` fills it)."""
        skip = self.created_without if created else ()
        prefetch = [p for p in self.prefetch if p not in skip]
        rows = self.visible(user).select_related("owner", "modified_by", *self.related)
        document: Model | None = rows.prefetch_related(*prefetch).filter(pk=name).first()
        if document is None:
            rows = self.visible(user).model._default_manager.all()
            rows = rows.select_related("owner", "modified_by", *self.related)
            document = rows.prefetch_related(*prefetch).get(pk=name)
        if created and self.prime_created is not None:
            self.prime_created(document)
        return document

    def lean_row(self, user: Any, name: Any, request: Any = None) -> Any:
        """GET one's lean read (core/api_read.py) of a document the user sees: None when the
        document does not fit it (then ``out_for`` answers); NotFoundError when unseen."""
        rows = self.visible(user)
        doctype = getattr(rows.model, "doctype", rows.model._meta.verbose_name.title())
        return read_one(rows, self.list_rows, doctype, name, request)

    def answer(self, user: Any, name: Any) -> Any:
        """The document after a write, as GET one answers it: the lean read when the document
        fits it and the writer still sees it; else ``out_for``."""
        if self.lean_read:
            try:
                row = self.lean_row(user, name)
            except NotFoundError:  # the write took it out of the writer's sight
                row = None
            if row is not None:
                return row
        return self.out_for(user, name)

    @cached_property
    def list_rows(self) -> ListRows:
        """The list's rows: ``out`` without the child tables (core/api_lists.py)."""
        label = self.one.title().replace("_", "")
        return ListRows(out=self.out, children=self.prefetch, label=label)

    def operation_id(self, operation: str) -> str:
        return f"{self.module}_{operation}".replace(".", "_")


def add_document_operation(
    router: Router,
    doc: DocumentApi,
    method: str,
    path: str,
    view: View,
    *,
    operation: str,
    response: Any,
    description: str | None = None,
    auth: Any = NOT_SET,
    exclude_unset: bool = False,
) -> None:
    """Registers ``view`` under ``/<doc.path><path>`` with the document's tag, and the operation
    id, summary and URL name ninja would make from a function named ``operation``."""
    router.add_api_operation(
        f"/{doc.path}{path}",
        [method],
        view,
        auth=auth,
        response=response,
        tags=[doc.tag],
        operation_id=doc.operation_id(operation),
        summary=operation.title().replace("_", " "),
        description=description,
        url_name=operation,
        exclude_unset=exclude_unset,
    )


def add_document_action(
    router: Router, doc: DocumentApi, verb: str, view: View, *, operation: str | None = None
) -> None:
    """``POST <path>/{name}/<verb>``, answering the document (its operation ``<verb>_<one>``
    unless named)."""
    operation = operation or f"{verb}_{doc.one}"
    path = f"/{{name}}/{verb}"
    add_document_operation(
        router, doc, "POST", path, view, operation=operation, response=ok(doc.out)
    )


# --- the views, each made for one document type ------------------------------------------------
def _list_rows(
    doc: DocumentApi, visible: QuerySet[Any], filters: FilterSchema, plan: Plan
) -> Statement | QuerySet[Any]:
    """The list's rows (lean path): a kept statement (core/statements.py) for a user who sees
    every row, whatever the filters' values; else the queryset."""

    def read(rows: QuerySet[Any], _v: Placeholders | None = None) -> QuerySet[Any]:
        return linked(rows.distinct() if doc.distinct else rows, plan)

    condition = filters.get_filter_expression()
    statement = visible_statement(("api.list", doc.path, plan), visible, condition, read)
    return statement if statement is not None else read(visible.filter(condition))


def list_view(doc: DocumentApi) -> View:
    list_rows = doc.list_rows
    answer = Page[list_rows.row]  # type: ignore[name-defined]

    def list_documents(
        request: ApiRequest,
        params: Query[ListParams],
        shape: Query[RowParams],
        filters: Query[doc.filters],  # type: ignore[name-defined]
    ) -> Any:
        names = list_rows.choose(shape.fields, shape.expand)
        visible = doc.visible(request.auth)
        # only the columns, joins and child tables the rows answer (paginate checks the ordering)
        plan = list_rows.plan(visible.model, names, (params.ordering or "").lstrip("-"))
        orderings, nullable = doc.orderings, doc.nullable
        if plan.lean:  # one join-free query, plain rows (core/api_lists.py)
            page = paginate(
                _list_rows(doc, visible, filters, plan),
                params,
                orderings=orderings,
                nullable=nullable,
                search=doc.search,
                values=plan.values,
            )
            return list_rows.answer(page, names, plan, request, doc.decorate)
        rows = lean(filters.filter(visible), plan)
        rows = rows.distinct() if doc.distinct else rows
        page = paginate(rows, params, orderings=orderings, nullable=nullable, search=doc.search)
        expand(page["results"], plan)
        if doc.decorate is not None:
            doc.decorate(page["results"], names)
        page["results"] = list_rows.serialize(page["results"], names, {"request": request})
        # an answer of the declared type: ninja dumps it as it is (without the fields left out)
        return answer.model_construct(**page)

    return list_documents


def create_view(doc: DocumentApi) -> View:
    def create_document(
        request: ApiRequest,
        payload: doc.create_in,  # type: ignore[name-defined]
    ) -> Status[Any]:
        if not doc.can_create(request.auth):
            raise PermissionDeniedError(f"You may not create {doc.many.replace('_', ' ')}.")
        if doc.check_links is not None:
            doc.check_links(request.auth, payload)
        with one_write(request):
            document = doc.create(data=payload_data(payload), by=request.auth)
        answer = doc.answer_created(document) if doc.answer_created is not None else None
        if answer is None:
            answer = doc.out_for(request.auth, document.pk, created=True)
        return Status(201, answer)

    return create_document


def get_view(doc: DocumentApi) -> View:
    def get_document(request: ApiRequest, name: str) -> Any:
        if doc.lean_read:
            row = doc.lean_row(request.auth, name, request)
            if row is not None:
                return row
        # one permission-checked read that also fetches what ``out`` shows (not a lookup, then
        # the same row again)
        rows = doc.rows(request.auth)
        doctype = getattr(rows.model, "doctype", rows.model._meta.verbose_name.title())
        document: Model = get_visible(
            rows, doctype, name, user=request.auth, write=False, can_write=doc.can_create
        )
        return document

    return get_document


def update_view(doc: DocumentApi) -> View:
    def update_document(
        request: ApiRequest,
        name: str,
        payload: doc.patch_in,  # type: ignore[name-defined]
    ) -> Model:
        # the lookup locks the row in the request's transaction (WritesInOneTransactionMiddleware's,
        # or a test's) and the service changes it as read: only types whose two take the flags
        locks = doc.update_locks_lookup and transaction.get_connection().in_atomic_block
        lock, held = ({"lock": True}, {"row_locked": True}) if locks else ({}, {})
        document = doc.lookup(request.auth, name, write=True, **lock)
        if doc.check_links is not None:
            doc.check_links(request.auth, payload)
        version = version_from(request, payload.version)
        data = payload_data(payload)
        with one_write(request):
            doc.update(document, data=data, version=version, by=request.auth, **held)
        answer: Model = doc.answer(request.auth, name)
        return answer

    return update_document


def delete_view(doc: DocumentApi) -> View:
    """With the version read (``?version=`` or If-Match), checked when sent."""

    def delete_document(request: ApiRequest, name: str, version: int | None = None) -> Status[Any]:
        document = doc.lookup(request.auth, name, write=True)
        doc.delete(document, version=version_from(request, version), by=request.auth)
        return Status(204, None)

    return delete_document


def version_action(doc: DocumentApi, service: Callable[..., Any]) -> View:
    """``service(document, version=..., by=user)``, answering the changed document; the body
    (optional) carries the version read."""

    def act(request: ApiRequest, name: str, payload: VersionIn | None = None) -> Model:
        document = doc.lookup(request.auth, name, write=True)
        version = version_from(request, payload.version if payload else None)
        service(document, version=version, by=request.auth)
        return doc.out_for(request.auth, name)

    return act


def timeline_view(doc: DocumentApi, doctype: str) -> View:
    def timeline(request: ApiRequest, name: str) -> list[TimelineEntry]:
        doc.lookup(request.auth, name)
        return timeline_for(doctype, name)

    return timeline


def add_document_routes(router: Router, doc: DocumentApi) -> None:
    """List (filters, cursor), create (201), read, change (version in the body or If-Match)
    and delete ``doc``; then its actions (``POST .../{name}/<verb>``) and its timeline."""
    one, out = doc.one, doc.out
    routes = [
        ("GET", "", list_view(doc), f"list_{doc.many}", page(doc.list_rows.row)),
        ("POST", "", create_view(doc), f"create_{one}", created(out)),
        ("GET", "/{name}", get_view(doc), f"get_{one}", ok(out)),
        ("PATCH", "/{name}", update_view(doc), f"update_{one}", ok(out)),
        ("DELETE", "/{name}", delete_view(doc), f"delete_{one}", no_content()),
    ]
    creators = gated(doc.auth, doc.can_create, f"You may not create {doc.many.replace('_', ' ')}.")
    for method, path, view, operation, response in routes:
        auth = creators if method == "POST" and doc.auth else NOT_SET
        add_document_operation(
            router,
            doc,
            method,
            path,
            view,
            operation=operation,
            response=response,
            auth=auth,
            # a list row answers the fields chosen (``fields=``), not the others as null
            exclude_unset=method == "GET" and path == "",
        )
    for verb, service in doc.actions.items():
        add_document_action(router, doc, verb, version_action(doc, service))
    if doc.timeline is not None:
        add_document_operation(
            router,
            doc,
            "GET",
            "/{name}/timeline",
            timeline_view(doc, doc.timeline),
            operation=f"{one}_timeline",
            response=ok(list[TimelineEntryOut]),
            description=f"Everything that happened to the {doc.timeline.lower()}, newest first.",
        )
