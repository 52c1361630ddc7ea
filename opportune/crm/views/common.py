"""What the CRM pages share: filters and paging read from the query string, form errors
mapped from the services' ValidationError, choices for selects."""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps
from typing import Any

import pydantic
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from ninja import FilterSchema

from opportune.core.api import ListParams, paginate
from opportune.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from opportune.crm.models import CRMSettings

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
    errors: dict[str, str] = {}
    while True:
        try:
            return schema.model_validate(data), errors
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err.get("loc") else "__all__"
                errors[key] = err.get("msg", "Invalid value.")
                data.pop(key, None)
            if not data:
                return schema.model_validate({}), errors


def paginated(
    rows: QuerySet, query: QueryDict, errors: dict[str, str], **options: Any
) -> dict[str, Any]:
    """Keyset pagination (core.api.paginate) from the query string; bad paging input is named
    in ``errors`` and the first page is shown instead."""
    raw = {k: query.get(k) for k in LIST_PARAMS if query.get(k)}
    try:
        params = ListParams(limit=PAGE_SIZE, **raw)
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            errors[str(err["loc"][0])] = err.get("msg", "Invalid value.")
        params = ListParams(limit=PAGE_SIZE)
    try:
        return paginate(rows, params, **options)
    except ValidationError as exc:
        for field, messages in exc.fields.items():
            errors[field] = messages[0]
        return paginate(rows, ListParams(limit=PAGE_SIZE, q=params.q), **options)


def company_currency() -> tuple[str, int]:
    settings = CRMSettings.load()
    return settings.company_currency_id, settings.company_currency.precision


def apply_service_errors(form, exc: ValidationError, *, extra: Iterable[str] = ()) -> None:
    """Put each field's messages of a service error on the form field of that name; the rest
    (and fields the form has not got) become form-wide errors naming the field."""
    known = set(form.fields) | set(extra)
    if not exc.fields:
        form.add_error(None, exc.message)
    for field, messages in exc.fields.items():
        for message in messages:
            if field in known and field in form.fields:
                form.add_error(field, message)
            elif field not in known:
                label = field.replace("_", " ")
                form.add_error(None, f"{label}: {message}")


def version_of(request) -> int | None:
    """The version the form was rendered with (hidden field ``version``)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def as_http(func):
    """Domain errors that mean 'no such page' or 'not yours' become 404 and 403 pages."""

    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message) from exc
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper
