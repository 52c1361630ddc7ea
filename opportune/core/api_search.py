"""JSON API of the global search (API.md ``search``, decision 0026): the leads, customers,
contacts, opportunities, quotations and suppliers the user may see whose name, number, email
or phone holds the text, a few of each type, grouped by type in the registered order."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from opportune.core.api import ApiRequest
from opportune.core.errors import ValidationError
from opportune.core.fields import reject_nul
from opportune.core.schemas import ERRORS
from opportune.core.search import global_search, parse_types

router = Router(tags=["search"])

MAX_PER_TYPE = 20


class SearchParams(Schema):
    q: str = Field(
        ...,
        min_length=1,
        max_length=200,
        description="The text: part of a name, number, email or phone, case ignored "
        "(under 3 characters a plain scan, slower on large tables)",
    )
    types: str | None = Field(
        None,
        max_length=200,
        description="Comma list to narrow: leads, customers, contacts, opportunities, "
        "quotations, suppliers (or their doctypes: Lead, Customer, ...)",
    )
    limit: int = Field(5, ge=1, le=MAX_PER_TYPE, description="At most this many of each type")

    _no_nul = field_validator("q", "types", mode="before")(reject_nul)


class SearchResultOut(Schema):
    doctype: str = Field(description="Lead, Customer, Contact, Opportunity, Quotation, Supplier")
    name: str
    title: str
    subtitle: str = Field(description="e.g. company, email and phone; '' when none")


class SearchOut(Schema):
    results: list[SearchResultOut] = Field(
        description="Grouped by type (in the order of ``types``' list above), newest first"
    )


@router.get("/search", response={200: SearchOut, **ERRORS}, operation_id="search")
def search(request: ApiRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Search the documents the user may see, by part of a name, number, email or phone."""
    text = params.q.strip()
    if not text:
        raise ValidationError.for_field("q", "Type some text to search for.")
    types = parse_types(params.types)
    groups = global_search(request.auth, text, types=types, limit=params.limit)
    return {"results": [result for group in groups for result in group.results]}
