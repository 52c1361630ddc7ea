"""What every API router shares: the error format, the authenticated request, cursor
pagination, versions (a document's standard endpoints: core/api_documents.py).

Errors always answer ``{"error": {"code", "message", "fields"}}`` (API.md): the handlers here
for what an endpoint raises, core/middleware.py for what no endpoint answers (404, 405, 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models import Field as ModelField
from django.db.models.fields.tuple_lookups import (  # type: ignore[import-untyped]
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
)
from django.db.models.lookups import GreaterThan, LessThan
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field, field_validator

from opportune.core.errors import DomainError, ValidationError
from opportune.core.fields import reject_nul
from opportune.core.statements import Placeholders, Statement, fetch, keepable

if TYPE_CHECKING:
    from opportune.core.users import User

T = TypeVar("T")


class ApiRequest(HttpRequest):
    """The request an API endpoint gets: the API's auth let it through, ``auth`` is its user."""

    auth: User


# --- error format ------------------------------------------------------------------------------
# The code each HTTP status answers with when nothing more precise is known.
ERROR_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    500: "server_error",
    503: "service_unavailable",
}


def error_body(
    code: str, message: str, fields: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
) -> HttpResponse:
    response: HttpResponse = api.create_response(
        request, error_body(code, message, fields), status=status
    )
    return response


# Where ninja found the input, then the name of the handler's parameter that holds it.
LOCATIONS = ("body", "query", "path", "header", "cookie")
PARAMETERS = ("data", "payload", "filters")


def _field_path(loc: Sequence[Any]) -> str:
    """``("body", "data", "items", 0, "qty")`` -> ``items[0].qty``; query params keep their name."""
    parts = list(loc)  # only the leading ones go: a body's field may be named ``query``
    if parts and parts[0] in LOCATIONS:
        parts.pop(0)
    if parts and parts[0] in PARAMETERS:
        parts.pop(0)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    def domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        if exc.details:  # a duplicate's candidates (core.errors.DuplicateError)
            body = error_body(exc.code, exc.message, exc.fields)
            body["error"].update(exc.details)
            return api.create_response(request, body, status=exc.http_status)
        return error_response(api, request, exc.http_status, exc.code, exc.message, exc.fields)

    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            message = err.get("msg", "Invalid value.")
            if err.get("type") == "missing":
                message = "This field is required."
            elif err.get("type") == "value_error":  # our own validators' words, without pydantic's
                message = message.removeprefix("Value error, ")
            fields.setdefault(_field_path(err.get("loc", ())), []).append(message)
        names = ", ".join(fields)
        return error_response(
            api, request, 422, "validation_error", f"Invalid input: {names}.", fields
        )

    def unauthenticated(request: HttpRequest, exc: object) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "not_authenticated",
            "Authentication required: send a Bearer token or log in.",
        )

    def forbidden(request: HttpRequest, exc: object) -> HttpResponse:
        return error_response(api, request, 403, "permission_denied", "Not allowed.")

    def not_found(request: HttpRequest, exc: object) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "Not found.")

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = ERROR_CODES.get(exc.status_code, "error")
        return error_response(api, request, exc.status_code, code, str(exc.message))

    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body is too large: at most {limit} bytes."
        return error_response(api, request, 413, "payload_too_large", message)

    # ninja types a handler's exc as "the exception or its class"; it is always the instance.
    api.add_exception_handler(DomainError, domain)  # type: ignore[arg-type]
    api.add_exception_handler(NinjaValidationError, invalid)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(AuthorizationError, forbidden)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestDataTooBig, too_large)  # type: ignore[arg-type]


def read_only_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the API's docs and schema (NinjaAPI ``docs_decorator``): GET and HEAD only, other
    methods answer 405 (before any CSRF check, which a page nobody writes to does not need)."""
    return csrf_exempt(require_safe(view))


# --- versions ----------------------------------------------------------------------------------
def version_from(request: HttpRequest, body_version: int | None) -> int | None:
    """The version the client read: from the body, else from ``If-Match`` (``"3"`` or ``3``)."""
    if body_version is not None:
        return body_version
    raw = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError.for_field(
            "version", "If-Match must be the document's version."
        ) from exc


# --- lists -------------------------------------------------------------------------------------
class Page(Schema, Generic[T]):
    results: list[T]
    next_cursor: str | None = None
    count: int | None = None


class ListParams(Schema):
    q: str | None = Field(None, max_length=200, description="Text search")
    ordering: str | None = Field(None, max_length=60, description="e.g. -modified")
    limit: int = Field(20, ge=1, le=settings.API_MAX_PAGE_SIZE)
    cursor: str | None = Field(None, max_length=500)
    with_count: bool = False

    _no_nul = field_validator("q", "ordering", "cursor", mode="before")(reject_nul)


def _encode(values: list[Any]) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return {"t": v.isoformat(), "k": "dt" if isinstance(v, datetime) else "d"}
        if isinstance(v, Decimal):
            return {"t": str(v), "k": "dec"}
        return v

    raw = json.dumps([plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    def typed(v: Any) -> Any:
        if isinstance(v, dict):
            kind = v.get("k")
            text: Any = v.get("t")  # not text: the parsers below raise, a bad cursor
            if kind == "dt":
                return datetime.fromisoformat(text)
            if kind == "d":
                return date.fromisoformat(text)
            if kind == "dec":
                return Decimal(text)
            raise ValueError(kind)
        return v

    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError("shape")
        return [typed(v) for v in values]
    except (
        ValueError,
        TypeError,
        ArithmeticError,  # decimal.InvalidOperation: "dec" with text that is no number
        binascii.Error,
        json.JSONDecodeError,
    ) as exc:
        raise ValidationError.for_field("cursor", "This cursor is not valid.") from exc


def paginate(
    queryset: QuerySet[Any] | Statement,
    params: ListParams,
    *,
    orderings: Sequence[str],
    default: str = "-modified",
    nullable: frozenset[str] = frozenset(),
    search: Callable[[QuerySet[Any], str], QuerySet[Any]] | None = None,
    values: Sequence[str] = (),
) -> dict[str, Any]:
    """Keyset (cursor) pagination on one sort field plus the primary key: as fast on page
    10,000 as on page 1, and stable while rows are being added. With ``values`` (column
    names, among them the primary key's and the ordering field's), the rows are those
    columns as dicts (``.values()``), not model instances. The rows may come as a
    ``Statement`` (core/statements.py): then, without a text search, the page is read by its
    kept SQL, with no queryset built or compiled."""
    statement = queryset if isinstance(queryset, Statement) else None
    model = statement.model if statement is not None else queryset.model

    def rows_of() -> QuerySet[Any]:
        rows = statement.queryset() if statement is not None else queryset
        assert not isinstance(rows, Statement)
        return search(rows, params.q) if params.q and search is not None else rows

    ordering = params.ordering or default
    field = ordering.lstrip("-")
    if field not in orderings:
        raise ValidationError.for_field(
            "ordering", f"Order by one of: {', '.join(sorted(orderings))} (prefix - to reverse)."
        )
    desc = ordering.startswith("-")
    count = rows_of().count() if params.with_count else None
    after = None
    if params.cursor:
        value, pk = _decode(params.cursor)
        try:
            after = (_prepared(model, field, value), _prepared(model, model._meta.pk.name, pk))
        except (DjangoValidationError, ValueError, TypeError) as exc:
            raise ValidationError.for_field("cursor", "This cursor is not valid.") from exc
    order = _Order(field, desc, field in nullable, tuple(values), params.limit)
    kept = statement is not None and not (params.q and search is not None)
    if kept and after is not None:  # a cursor of a type no placeholder takes: the ORM reads
        kept = all(keepable(value) for value in after if value is not None)
    if kept:
        assert statement is not None
        rows = order.fetch(statement, after)
    else:
        chosen = rows_of()
        if after is not None:
            try:
                chosen = chosen.filter(order.after(*after))
            except (DjangoValidationError, ValueError, TypeError) as exc:
                raise ValidationError.for_field("cursor", "This cursor is not valid.") from exc
        rows = list(order.apply(chosen))
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        attname = _attname(model, field)
        if values:
            next_cursor = _encode([last[attname], last[model._meta.pk.attname]])
        else:
            next_cursor = _encode([getattr(last, attname), last.pk])
    return {"results": rows, "next_cursor": next_cursor, "count": count}


@dataclass(frozen=True)
class _Order:
    """A page's order and size: the rows after a cursor, sorted, ``limit`` + 1 of them."""

    field: str
    desc: bool
    nullable: bool
    values: tuple[str, ...]
    limit: int

    def after(self, value: Any, pk: Any) -> Q:
        return _after(self.field, value, pk, self.desc, self.nullable)

    def apply(self, queryset: QuerySet[Any], after: Q | None = None) -> QuerySet[Any]:
        if after is not None:
            queryset = queryset.filter(after)
        pk_order = "-pk" if self.desc else "pk"
        if self.nullable:
            column = F(self.field)
            expr = column.desc(nulls_last=True) if self.desc else column.asc(nulls_last=True)
            queryset = queryset.order_by(expr, pk_order)
        else:
            queryset = queryset.order_by(f"-{self.field}" if self.desc else self.field, pk_order)
        if self.values:
            queryset = queryset.values(*self.values)
        return queryset[: self.limit + 1]

    def fetch(self, statement: Statement, after: tuple[Any, Any] | None) -> list[Any]:
        """The page from ``statement``'s kept SQL (core/statements.py): the cursor's values
        are two more of its values; a cursor at a null (``None``) is another shape."""
        values = dict(statement.values)
        shape = "first"
        if after is not None:
            value, pk = after
            shape = "after null" if value is None else "after"
            values["after_pk"] = pk
            if value is not None:
                values["after_value"] = value

        def build(v: Placeholders) -> QuerySet[Any]:
            queryset = statement.build(v)
            if shape == "first":
                return self.apply(queryset)
            value = None if shape == "after null" else v.after_value
            return self.apply(queryset, self.after(value, v.after_pk))

        try:
            return fetch((statement.key, self, shape), build, **values)
        except (DjangoValidationError, ValueError, TypeError) as exc:
            if after is None:
                raise
            raise ValidationError.for_field("cursor", "This cursor is not valid.") from exc


def _attname(model: type[Model], field: str) -> str:
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, ModelField)  # orderings name the model's own fields
    return model_field.attname


def _prepared(model: type[Model], field: str, value: Any) -> Any:
    """A cursor's value as ``field`` takes it: a forged one raises here, not in the query."""
    if value is None:
        return None
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, ModelField)  # orderings name the model's own fields
    return model_field.get_prep_value(value)


class RowAfter(TupleGreaterThan):  # type: ignore[misc]
    """``(a, b) > (x, y)`` as a row value on every database. Django 5.2 writes it out as
    ``a > x OR (a = x AND b > y)`` on SQLite, which SQLite (3.15+) does not need: the row value
    is one range on an index of (a, b) for SQLite and PostgreSQL alike."""

    def as_sqlite(self, compiler: Any, connection: Any) -> Any:
        return GreaterThan.as_sql(self, compiler, connection)


class RowBefore(TupleLessThan):  # type: ignore[misc]
    """``(a, b) < (x, y)``, as RowAfter."""

    def as_sqlite(self, compiler: Any, connection: Any) -> Any:
        return LessThan.as_sql(self, compiler, connection)


def _after(field: str, value: Any, pk: Any, desc: bool, nullable: bool) -> Q:
    """The rows after (``value``, ``pk``) in the list's order: a row-value comparison on the
    ordering field and the primary key (the index on both answers it as one range); the nulls
    of a nullable field sort last."""
    op = "lt" if desc else "gt"
    if value is None:  # already among the nulls, which sort last
        return Q(**{f"{field}__isnull": True, f"pk__{op}": pk})
    row = (RowBefore if desc else RowAfter)(Tuple(F(field), F("pk")), (value, pk))
    q = Q(row)
    if nullable:
        q |= Q(**{f"{field}__isnull": True})
    return q
