"""The pages every app builds on: filters and paging read from the query string, service errors
put on form fields, the items table of a form, and the generic list / detail / form / action /
delete views of a submittable document with item rows (``DocPages`` holds what differs per
doctype and gives its URL patterns, so each app's views stay thin adapters over its services)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from types import SimpleNamespace
from typing import Any, Concatenate, ParamSpec, TypeVar

import pydantic
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from ninja import FilterSchema

from opportune.core.api import ListParams, paginate
from opportune.core.company import company_settings
from opportune.core.errors import DomainError, NotFoundError, PermissionDeniedError, ValidationError
from opportune.core.export import FORMATS, export_queryset, ordered
from opportune.core.saved_views_pages import default_view_redirect
from opportune.core.statements import Statement
from opportune.core.timeline import timeline_for

P = ParamSpec("P")
R = TypeVar("R")
Rq = TypeVar("Rq", bound=HttpRequest)

View = Callable[..., HttpResponseBase]
Decorator = Callable[[View], View]

S = TypeVar("S", bound=pydantic.BaseModel)
PAGE_SIZE = 50
LIST_PARAMS = ("q", "ordering", "cursor")


def read_filters(
    schema: type[FilterSchema], query: QueryDict
) -> tuple[FilterSchema, dict[str, str]]:
    """The list filters of the query string; a bad value is dropped and named in the errors
    (the page says which field is wrong instead of failing)."""
    data: dict[str, Any] = {}
    for key in schema.model_fields:
        values = [v for v in query.getlist(key) if v.strip()]
        if values:
            data[key] = ",".join(values) if len(values) > 1 else values[0]
    return validate_dropping_bad(schema, data)


def validate_dropping_bad(
    schema: type[S], data: dict[str, Any], *, whole: str = "__all__"
) -> tuple[S, dict[str, str]]:
    """``data`` validated by ``schema``, each value that fails dropped and named in the errors
    (an error about no one field is named ``whole``) until the rest validates; the defaults
    when nothing is left or nothing more can be dropped."""
    errors: dict[str, str] = {}
    while True:
        try:
            return schema.model_validate(data), errors
        except pydantic.ValidationError as exc:
            dropped = False
            for err in exc.errors():
                key = str(err["loc"][0]) if err.get("loc") else whole
                errors[key] = err.get("msg", "Invalid value.")
                dropped = data.pop(key, _MISSING) is not _MISSING or dropped
            if not data or not dropped:
                return schema.model_validate({}), errors


_MISSING = object()


def paginated(
    rows: QuerySet[Any] | Statement, query: QueryDict, errors: dict[str, str], **options: Any
) -> dict[str, Any]:
    """Keyset pagination (core.api.paginate) from the query string; bad paging input is named
    in ``errors`` and the first page is shown instead."""
    raw = {k: query.get(k) for k in LIST_PARAMS if query.get(k)}
    try:
        params = ListParams.model_validate({"limit": PAGE_SIZE, **raw})
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            errors[str(err["loc"][0])] = err.get("msg", "Invalid value.")
        params = ListParams.model_validate({"limit": PAGE_SIZE})
    try:
        return paginate(rows, params, **options)
    except ValidationError as exc:
        for field, messages in exc.fields.items():
            errors[field] = messages[0]
        first_page = ListParams.model_validate({"limit": PAGE_SIZE, "q": params.q})
        return paginate(rows, first_page, **options)


def list_context(
    request: HttpRequest,
    filters: type[FilterSchema],
    rows: QuerySet[Any],
    *,
    search: Callable[[QuerySet[Any], str], QuerySet[Any]] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """What every list page shows: ``rows`` narrowed by the query string's filters and search
    (``q``), the page of them it asks for (``options`` go to ``paginated``), the bad values
    named in ``errors``, and the query string of its exports (``export_query``)."""
    rows, errors, q = _narrowed(request, filters, rows, search)
    return {
        "page": paginated(rows, request.GET, errors, **options),
        "errors": errors,
        "q": q,
        "export_query": export_query(request),
    }


def _narrowed(
    request: HttpRequest,
    filters: type[FilterSchema],
    rows: QuerySet[Any],
    search: Callable[[QuerySet[Any], str], QuerySet[Any]] | None,
) -> tuple[QuerySet[Any], dict[str, str], str]:
    schema, errors = read_filters(filters, request.GET)
    rows = schema.filter(rows)
    q = request.GET.get("q", "").strip()[:200]
    if q and search:
        rows = search(rows, q)
    return rows, errors, q


@dataclass(frozen=True)
class ListExport:
    """A list's exports: its columns (label, path for ``values_list``) and its file's name."""

    columns: Columns
    filename: str
    title: str


Columns = tuple[tuple[str, str], ...]


def transaction_export(
    filename: str, title: str, *, party: Columns, dates: Columns = (), links: Columns = ()
) -> ListExport:
    """The export of a list of transactions (quotations, orders, supplier quotations): what
    they all have (name, status, date, currency, grand total, modified) around what each names
    of its own (its party, its other dates, the documents it came from)."""
    return ListExport(
        columns=(
            ("ID", "name"),
            *party,
            ("Status", "status"),
            ("Date", "transaction_date"),
            *dates,
            ("Currency", "currency_id"),
            ("Grand Total", "grand_total"),
            *links,
            ("Modified", "modified"),
        ),
        filename=filename,
        title=title,
    )


def list_export(
    request: HttpRequest,
    filters: type[FilterSchema],
    rows: QuerySet[Any],
    export: ListExport,
    *,
    search: Callable[[QuerySet[Any], str], QuerySet[Any]] | None = None,
    orderings: Sequence[str] = (),
    default: str = "-modified",
) -> HttpResponseBase | None:
    """The list as a file when its URL asks for one (``format=csv`` or ``xlsx``): every row its
    filters and search give (``rows`` are already only those the user may see), in its order;
    None when it asks for the page."""
    fmt = request.GET.get("format")
    if fmt not in FORMATS:
        return None
    rows, _errors, _q = _narrowed(request, filters, rows, search)
    rows = ordered(rows, request.GET.get("ordering") or default, orderings)
    return export_queryset(fmt, rows, export.columns, filename=export.filename, title=export.title)


def export_query(request: HttpRequest) -> str:
    """A list's query string for its exports: the filters, search and ordering, not the page
    it is on."""
    query = request.GET.copy()
    for key in ("cursor", "format"):
        query.pop(key, None)
    return query.urlencode()


def apply_service_errors(
    form: forms.BaseForm, exc: ValidationError, *, extra: Iterable[str] = ()
) -> None:
    """Put each field's messages of a service error on the form field of that name; the rest
    (and fields the form has not got) become form-wide errors naming the field."""
    known = set(form.fields) | set(extra)
    if not exc.fields:
        form.add_error(None, exc.message)
    for name, problems in exc.fields.items():
        for message in problems:
            if name in known and name in form.fields:
                form.add_error(name, message)
            elif name not in known:
                label = name.replace("_", " ")
                form.add_error(None, f"{label}: {message}")


def safe_next(request: HttpRequest, default: str) -> str:
    """Where a form sends the user back: its ``next`` (posted, or in the query) when that is a
    path of this site, else ``default`` (a URL name or a path, as ``redirect`` takes)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def version_of(request: HttpRequest) -> int | None:
    """The version the form was rendered with (hidden field ``version``)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def as_http(
    func: Callable[Concatenate[Rq, P], R],
) -> Callable[Concatenate[Rq, P], R]:
    """Domain errors that mean 'no such page' or 'not yours' become 404 and 403 pages."""

    @wraps(func)
    def wrapper(request: Rq, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message) from exc
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


DOC_PAGES = ("list", "create", "detail", "edit", "delete", "action")


@dataclass(frozen=True)
class DocPages:
    """What the generic document pages need to know about one doctype."""

    doctype: str
    url: str  # URL name prefix, e.g. "selling:quotation" (its templates: selling/quotation_*.html)
    visible: Callable[[Any], Any]
    get_for: Callable[..., Any]
    can_write: Callable[[Any], bool]
    form_class: type
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    actions: dict[str, Callable[..., Any]]
    filters: type
    orderings: tuple[str, ...]
    nullable: frozenset[str] = frozenset()
    search: Callable[..., Any] | None = None
    statuses: tuple[str, ...] = ()
    with_rates: bool = True
    related: tuple[str, ...] = ("currency",)
    extra_context: Callable[[Any, Any], dict[str, Any]] = field(default=lambda request, doc: {})
    initial: Callable[[Any], dict[str, Any]] | None = None
    # the documents the form links to are visible to the user (NotFoundError otherwise), as
    # the API's ``DocumentApi.check_links``: called with the user and the data as attributes
    check_links: Callable[[Any, Any], None] | None = None
    # its list's CSV and XLSX exports (None: the list has none)
    export: ListExport | None = None
    # its list's saved views (core.saved_views.RESOURCES; None: the list keeps none)
    saved_views: str | None = None

    @property
    def template(self) -> str:
        """The prefix of its templates (``_list.html``, ``_detail.html``, ``_form.html``):
        "selling:quotation" -> "selling/quotation"."""
        return self.url.replace(":", "/")

    @property
    def urls(self) -> dict[str, str]:
        """Its pages' URL names, as the templates use them: ``pages.urls.edit`` is
        "selling:quotation_edit"."""
        return {page: f"{self.url}_{page}" for page in DOC_PAGES}

    def urlpatterns(self, prefix: str) -> list[URLPattern]:
        """The doctype's six pages under ``prefix`` ("quotations/"), named after ``url``
        ("selling:quotation" gives quotation_list, _create, _detail, _edit, _delete and _action),
        all behind a login. ``<name>/<action>/`` takes every path of that shape, so a doctype's
        own pages under the same prefix are listed before these."""
        base = self.url.rpartition(":")[2]

        def page(suffix: str, route: str, view: View, *decorators: Decorator) -> URLPattern:
            def adapter(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
                return view(request, self, **kwargs)

            adapter.__name__ = adapter.__qualname__ = f"{base}_{suffix}"
            func: View = adapter
            for decorate in reversed(decorators):
                func = decorate(func)
            return path(f"{prefix}{route}", login_required(func), name=f"{base}_{suffix}")

        return [
            page("list", "", document_list),
            page("create", "new/", document_form, as_http),
            page("detail", "<str:name>/", document_detail, as_http),
            page("edit", "<str:name>/edit/", document_form, as_http),
            page("delete", "<str:name>/delete/", document_delete, require_POST, as_http),
            page("action", "<str:name>/<slug:action>/", document_action, require_POST, as_http),
        ]


# --- the items table of a form ------------------------------------------------------------------
# Every form with item rows posts them the same way: inputs named ``items-<n>-<field>``, n from 0,
# in any order and with gaps (rows are added and removed in the browser).
ITEM_ROW_FIELDS = ("id", "item_code", "item_name", "description", "qty", "uom", "rate")
MAX_ITEM_ROWS = 500
BLANK_ROWS = 3


def posted_item_rows(post: QueryDict) -> list[dict[str, str]]:
    """The items table as posted, in row order; rows left blank (no item, qty or rate) are
    dropped, and a row with only a qty stays, so that its missing item is named."""
    by_index: dict[int, dict[str, str]] = {}
    for key, value in post.items():
        prefix, _, rest = key.partition("-")
        number, _, name = rest.partition("-")
        in_table = prefix == "items" and number.isdigit() and len(number) <= 4
        if in_table and name in ITEM_ROW_FIELDS and isinstance(value, str):
            by_index.setdefault(int(number), {})[name] = value.strip()
    rows = [by_index[n] for n in sorted(by_index)]
    return [r for r in rows if any(r.get(f) for f in ("item_code", "qty", "rate"))][:MAX_ITEM_ROWS]


def item_input(row: dict[str, str], *, with_rates: bool = True) -> dict[str, Any]:
    """A posted row as the services' plain input: empty cells left out (the service fills them
    from the item), an existing row's ``id`` as a number."""
    data: dict[str, Any] = {"item_code": row.get("item_code", "")}
    for name in ITEM_ROW_FIELDS[2:]:
        if row.get(name) and (with_rates or name != "rate"):
            data[name] = row[name]
    if row.get("id", "").isdigit():
        data["id"] = int(row["id"])
    return data


def rows_for_form(
    document: Any, posted: list[dict[str, str]] | None, *, with_rates: bool = True
) -> list[dict[str, Any]]:
    if posted is not None:
        rows = [dict(r) for r in posted]
    elif document is not None:
        rows = [
            {
                "id": r.pk,
                "item_code": r.item_code_id,
                "item_name": r.item_name,
                "description": r.description,
                "qty": r.qty.normalize(),
                "uom": r.uom_id,
                **({"rate": r.rate.normalize()} if with_rates else {}),
            }
            for r in document.items.all()
        ]
    else:
        rows = []
    return rows + [{} for _ in range(BLANK_ROWS)]


def item_errors(exc: ValidationError) -> list[str]:
    """``items[0].qty`` -> "Row 1 qty: ..." (rows count from 1 where people read them)."""
    lines = []
    for name, problems in exc.fields.items():
        index, column = split_item_field(name)
        if index is not None:
            lines.append(f"Row {index + 1}{' ' + column if column else ''}: {problems[0]}")
    return lines


def split_item_field(name: str) -> tuple[int | None, str]:
    """``items[1].qty`` -> (1, "qty"); ``items[1]`` -> (1, ""); anything else -> (None, "")."""
    head, sep, rest = name.partition("]")
    if not sep or not head.startswith("items[") or not head[6:].isdigit():
        return None, ""
    return int(head[6:]), rest.removeprefix(".")


# --- generic views -----------------------------------------------------------------------------
def document_list(request: HttpRequest, pages: DocPages) -> HttpResponseBase:
    if pages.saved_views and (opened := default_view_redirect(request, pages.saved_views)):
        return opened
    rows = pages.visible(request.user).select_related(*pages.related)
    if pages.export is not None:
        file = list_export(
            request,
            pages.filters,
            rows,
            pages.export,
            search=pages.search,
            orderings=pages.orderings,
        )
        if file is not None:
            return file
    return render(
        request,
        f"{pages.template}_list.html",
        {
            **list_context(
                request,
                pages.filters,
                rows,
                search=pages.search,
                orderings=pages.orderings,
                nullable=pages.nullable,
            ),
            "pages": pages,
            "can_export": pages.export is not None,
            "statuses": pages.statuses,
            "selected_status": request.GET.get("status", ""),
            "can_write": pages.can_write(request.user),
            "saved_views_resource": pages.saved_views,
        },
    )


def document_detail(request: HttpRequest, pages: DocPages, name: str) -> HttpResponse:
    document = pages.get_for(request.user, name)
    settings = company_settings()
    context = {
        "doc": document,
        "pages": pages,
        "can_write": pages.can_write(request.user),
        "company_currency": settings.company_currency_id,
        "company_precision": settings.company_currency.precision,
        "timeline": timeline_for(pages.doctype, document.name),
        **pages.extra_context(request, document),
    }
    return render(request, f"{pages.template}_detail.html", context)


def document_form(
    request: HttpRequest,
    pages: DocPages,
    name: str | None = None,
    initial: dict[str, Any] | None = None,
) -> HttpResponse:
    document = pages.get_for(request.user, name, write=True) if name else None
    if document is None and not pages.can_write(request.user):
        raise PermissionDenied(f"You may not create a {pages.doctype}.")
    if document is not None and not document.is_draft:
        messages.error(
            request, f"{pages.doctype} {name} is {document.status}: only a draft can be changed."
        )
        return redirect(f"{pages.url}_detail", name)
    posted_rows = None
    item_problems: list[str] = []
    if request.method == "POST":
        form = pages.form_class(request.POST)
        posted_rows = posted_item_rows(request.POST)
        if form.is_valid():
            items = [item_input(r, with_rates=pages.with_rates) for r in posted_rows]
            data = {**form.service_data(document), "items": items}
            try:
                if pages.check_links is not None:
                    pages.check_links(request.user, SimpleNamespace(**data))
                if document is None:
                    document = pages.create(data=data, by=request.user)
                else:
                    pages.update(document, data=data, version=version_of(request), by=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc, extra=["items"])
                item_problems = item_errors(exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{pages.doctype} {document.name} saved.")
                return redirect(f"{pages.url}_detail", document.name)
    else:
        initial = initial or (
            pages.initial(document)
            if pages.initial and document
            else form_initial(document, pages.form_class)
        )
        form = pages.form_class(initial=initial)
    return render(
        request,
        f"{pages.template}_form.html",
        {
            "form": form,
            "doc": document,
            "pages": pages,
            "rows": rows_for_form(document, posted_rows, with_rates=pages.with_rates),
            "item_problems": item_problems,
            "with_rates": pages.with_rates,
        },
    )


def form_initial(document: Any, form_class: type[forms.Form]) -> dict[str, Any]:
    if document is None:
        return {
            "currency": company_settings().company_currency_id,
            "transaction_date": timezone.localdate(),
        }
    initial = {}
    for name in form_class.base_fields:
        value = (
            getattr(document, f"{name}_id", None)
            if hasattr(document, f"{name}_id")
            else getattr(document, name, None)
        )
        if value is not None and hasattr(value, "normalize"):
            value = value.normalize()
        initial[name] = value
    return initial


def document_action(request: HttpRequest, pages: DocPages, name: str, action: str) -> HttpResponse:
    if action not in pages.actions:
        raise Http404(f"No action {action}.")
    document = pages.get_for(request.user, name, write=True)
    try:
        pages.actions[action](document, version=version_of(request), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        past = {"submit": "submitted", "cancel": "cancelled"}.get(action, action)
        messages.success(request, f"{pages.doctype} {name} {past}.")
    return redirect(f"{pages.url}_detail", name)


def document_delete(request: HttpRequest, pages: DocPages, name: str) -> HttpResponse:
    document = pages.get_for(request.user, name, write=True)
    try:
        pages.delete(document, version=version_of(request), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{pages.url}_detail", name)
    messages.success(request, f"{pages.doctype} {name} deleted.")
    return redirect(f"{pages.url}_list")
