"""JSON API of the masters (API.md): currencies, exchange rates, UOMs, items, territories,
customer groups, industries, item groups. Thin: look up through access, call the service.

Every staff role reads; Sales Managers write (items: also Purchase Users). A user without a
role gets empty lists and 404 on every master (masters/access.py). Masters are addressed by
name; a name may contain ``/`` (``Proposal/Price Quote``), so the path takes the rest of the URL.

``add_master_routes`` is also used by the CRM's masters (crm/api_masters.py).
"""

# No ``from __future__ import annotations`` here: the route builder's annotations name the
# schemas held in its arguments, which ninja must see as classes, not strings.

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ninja import FilterSchema, Query, Router, Schema, Status
from ninja.constants import NOT_SET

from opportune.accounts.auth import API_AUTH
from opportune.core.api import ApiRequest, ListParams, Page, paginate
from opportune.core.api_documents import created, no_content, ok, page, payload_data
from opportune.core.api_gate import gated
from opportune.core.schemas import ERRORS
from opportune.masters import access, services
from opportune.masters.filters import (
    CURRENCY_EXCHANGE_ORDERINGS,
    CURRENCY_ORDERINGS,
    ITEM_ORDERINGS,
    NAME_ORDERINGS,
    CurrencyExchangeFilters,
    CurrencyFilters,
    ItemFilters,
    NameFilters,
    Search,
    TerritoryFilters,
    UOMFilters,
    search_on,
)
from opportune.masters.models import CurrencyExchange
from opportune.masters.schemas import (
    CurrencyCreate,
    CurrencyExchangeCreate,
    CurrencyExchangeOut,
    CurrencyExchangePatch,
    CurrencyOut,
    CurrencyPatch,
    CustomerGroupCreate,
    CustomerGroupOut,
    IndustryCreate,
    IndustryOut,
    ItemCreate,
    ItemGroupCreate,
    ItemGroupOut,
    ItemOut,
    ItemPatch,
    TerritoryCreate,
    TerritoryOut,
    TerritoryPatch,
    UOMCreate,
    UOMOut,
    UOMPatch,
)
from opportune.masters.services import MasterSpec

router = Router()


@dataclass(frozen=True)
class MasterResource:
    """One master under ``/api/v1/<path>``: its service spec, schemas, list options and who
    writes it. ``patch=None`` when nothing but the name is stored (no PATCH route then)."""

    path: str
    spec: MasterSpec[Any]
    out: type[Schema]
    create: type[Schema]
    patch: type[Schema] | None = None
    filters: type[FilterSchema] = NameFilters
    orderings: Sequence[str] = NAME_ORDERINGS
    default_ordering: str = "name"
    search: Search = search_on("name")
    can_write: Callable[[Any], bool] = access.can_manage_masters


def writers_only(can_write: Callable[[Any], bool], label: str) -> list[Any]:
    """The API's authentications, refusing (403) a user who may not write ``label`` before the
    body is validated."""
    return gated(API_AUTH, can_write, f"You may not change {label} records.")


def add_master_routes(router: Router, res: MasterResource) -> None:
    """List, create, read, update and delete ``res`` on ``router``."""
    spec, tags = res.spec, [res.path]
    many, one = res.path.replace("-", "_"), spec.label.lower().replace(" ", "_")
    detail = f"/{res.path}/{{path:name}}"

    def lookup(request: ApiRequest, name: str, *, write: bool = False):
        return access.get_master_for(
            request.auth, spec.model, name, label=spec.label, write=write, can_write=res.can_write
        )

    # The schemas below are the resource's, chosen at run time: ninja reads them from these
    # annotations (and from Page[res.out]), which no static checker can follow: the ignores.
    def list_masters(
        request: ApiRequest,
        params: Query[ListParams],
        filters: Query[res.filters],  # type: ignore[name-defined]
    ):
        rows = filters.filter(access.masters_visible_to(request.auth, spec.model))
        return paginate(
            rows, params, orderings=res.orderings, default=res.default_ordering, search=res.search
        )

    def create_master(request: ApiRequest, payload: res.create):  # type: ignore[name-defined]
        access.require_master_writer(request.auth, label=spec.label, can_write=res.can_write)
        return Status(
            201, services.create_master(spec, data=payload_data(payload), by=request.auth)
        )

    def get_master(request: ApiRequest, name: str):
        return lookup(request, name)

    def update_master(request: ApiRequest, name: str, payload: res.patch):  # type: ignore[name-defined]
        master = lookup(request, name, write=True)
        return services.update_master(spec, master, data=payload_data(payload), by=request.auth)

    def delete_master(request: ApiRequest, name: str):
        services.delete_master(spec, lookup(request, name, write=True), by=request.auth)
        return Status(204, None)

    label, out = spec.label, res.out
    routes: list[tuple[str, str, Callable[..., Any], str, str, dict[int, Any]]] = [
        ("GET", f"/{res.path}", list_masters, f"list_{many}", f"List {label} records", page(out)),
        ("POST", f"/{res.path}", create_master, f"create_{one}", f"Create {label}", created(out)),
        ("GET", detail, get_master, f"get_{one}", f"Read {label}", ok(out)),
        ("PATCH", detail, update_master, f"update_{one}", f"Change {label}", ok(out)),
        ("DELETE", detail, delete_master, f"delete_{one}", f"Delete {label}", no_content()),
    ]
    # writes refuse a user who may not write before the body is read (403 whatever its shape)
    writer_only = writers_only(res.can_write, label)
    for method, path, view, operation_id, summary, response in routes:
        if method == "PATCH" and res.patch is None:
            continue
        router.add_api_operation(
            path,
            [method],
            view,
            auth=NOT_SET if method == "GET" else writer_only,
            response=response,
            tags=tags,
            operation_id=operation_id,
            summary=summary,
        )


MASTERS = (
    MasterResource(
        "currencies",
        services.CURRENCY,
        CurrencyOut,
        CurrencyCreate,
        CurrencyPatch,
        filters=CurrencyFilters,
        orderings=CURRENCY_ORDERINGS,
        search=search_on("name", "currency_name"),
    ),
    MasterResource("uoms", services.UOM_SPEC, UOMOut, UOMCreate, UOMPatch, filters=UOMFilters),
    MasterResource(
        "items",
        services.ITEM,
        ItemOut,
        ItemCreate,
        ItemPatch,
        filters=ItemFilters,
        orderings=ITEM_ORDERINGS,
        search=search_on("name", "item_name", "description"),
        can_write=access.can_manage_items,
    ),
    MasterResource(
        "territories",
        services.TERRITORY,
        TerritoryOut,
        TerritoryCreate,
        TerritoryPatch,
        filters=TerritoryFilters,
    ),
    MasterResource(
        "customer-groups", services.CUSTOMER_GROUP, CustomerGroupOut, CustomerGroupCreate
    ),
    MasterResource("industries", services.INDUSTRY, IndustryOut, IndustryCreate),
    MasterResource("item-groups", services.ITEM_GROUP, ItemGroupOut, ItemGroupCreate),
)
for _resource in MASTERS:
    add_master_routes(router, _resource)


# --- currency exchanges (addressed by id) ------------------------------------------------------
EXCHANGE = "Currency Exchange"
EXCHANGE_WRITERS = writers_only(access.can_manage_masters, EXCHANGE)


def _exchange(request: ApiRequest, id: int, *, write: bool = False) -> CurrencyExchange:
    return access.get_master_for(request.auth, CurrencyExchange, id, label=EXCHANGE, write=write)


@router.get(
    "/currency-exchanges",
    response={200: Page[CurrencyExchangeOut], **ERRORS},
    tags=["currency-exchanges"],
)
def list_currency_exchanges(
    request: ApiRequest, params: Query[ListParams], filters: Query[CurrencyExchangeFilters]
):
    rows = filters.filter(access.masters_visible_to(request.auth, CurrencyExchange))
    return paginate(rows, params, orderings=CURRENCY_EXCHANGE_ORDERINGS, default="-date")


@router.post(
    "/currency-exchanges",
    auth=EXCHANGE_WRITERS,
    response={201: CurrencyExchangeOut, **ERRORS},
    tags=["currency-exchanges"],
)
def create_currency_exchange(request: ApiRequest, payload: CurrencyExchangeCreate):
    access.require_master_writer(request.auth, label=EXCHANGE)
    exchange = services.create_master(
        services.CURRENCY_EXCHANGE, data=payload_data(payload), by=request.auth
    )
    return Status(201, exchange)


@router.get(
    "/currency-exchanges/{id}",
    response={200: CurrencyExchangeOut, **ERRORS},
    tags=["currency-exchanges"],
)
def get_currency_exchange(request: ApiRequest, id: int):
    return _exchange(request, id)


@router.patch(
    "/currency-exchanges/{id}",
    auth=EXCHANGE_WRITERS,
    response={200: CurrencyExchangeOut, **ERRORS},
    tags=["currency-exchanges"],
)
def update_currency_exchange(request: ApiRequest, id: int, payload: CurrencyExchangePatch):
    exchange = _exchange(request, id, write=True)
    return services.update_master(
        services.CURRENCY_EXCHANGE, exchange, data=payload_data(payload), by=request.auth
    )


@router.delete(
    "/currency-exchanges/{id}",
    auth=EXCHANGE_WRITERS,
    response={204: None, **ERRORS},
    tags=["currency-exchanges"],
)
def delete_currency_exchange(request: ApiRequest, id: int):
    services.delete_master(
        services.CURRENCY_EXCHANGE, _exchange(request, id, write=True), by=request.auth
    )
    return Status(204, None)
