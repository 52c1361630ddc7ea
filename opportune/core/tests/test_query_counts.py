"""What every API operation and every page costs in SQL queries, pinned (STYLE.md: "Every list,
detail and write pins its query count", as NetBox does per view).

One table, ``CASES``: each case builds its own small world, then one request is measured with
``django_assert_num_queries`` (exact, not a maximum) and its status checked. A change that adds a
query fails here with the list of queries (``-v``); when the change is meant, set the new number
and say why in the commit message.

- Lists (and pages and timelines that list rows) are pinned with ``ROWS`` rows, each document
  with two item rows; ``test_lists_cost_the_same_for_one_row`` measures them again with one row:
  an N+1 cannot pass both.
- The steady state is pinned: the API token's ``last_used`` was written less than a minute ago
  (it is not rewritten on every request, accounts.services), the naming series of a new
  document already has its counter row for the year (the first document of a year costs two
  queries more), and the page user's session exists.
- In a test everything runs inside the test's transaction, so each ``atomic()`` block is a
  SAVEPOINT and a RELEASE, both counted (in production the outermost block is BEGIN/COMMIT,
  which are not queries Django logs).
- The same numbers hold on SQLite and PostgreSQL unless a case says otherwise.

``test_every_api_operation_is_pinned`` and ``test_every_page_is_pinned`` fail when an operation
of the OpenAPI schema or a URL name of the pages has no case here and no commented exclusion.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from conftest import ApiClient, make_customer, make_item, make_lead, make_opportunity, make_rate
from opportune.accounts.models import ApiToken
from opportune.api import api
from opportune.buying import services as buying
from opportune.core.jobs import record_heartbeat
from opportune.core.models import Document, NamingSeries, expand_series
from opportune.crm import services as crm
from opportune.crm.models import CRMSettings, Opportunity
from opportune.crm.services import masters as crm_masters
from opportune.masters import services as masters
from opportune.selling import services as selling

pytestmark = pytest.mark.django_db

ROWS = 3
World = dict[str, Any]
Body = Callable[[World], dict]


@dataclass(frozen=True)
class People:
    sales: Any
    manager: Any
    purchaser: Any


# --- worlds: each builds what one request needs and answers the names the request uses ---------
ITEMS = [{"item_code": "W1", "qty": 2}, {"item_code": "W2", "qty": 3}]
TODAY = dt.date.today().isoformat()


def nothing(p: People, n: int = 1) -> World:
    return {}


def _doc(doc, **extra) -> World:
    return {"name": doc.name, "version": doc.version, **extra}


def _opportunities(p: People, n: int, party=None) -> list[Opportunity]:
    make_item("W1", rate="10")
    make_item("W2", rate="5")
    party = party or make_customer(p.sales)
    return [
        make_opportunity(p.sales, party, items=ITEMS, opportunity_owner="sales", title=f"Deal {i}")
        for i in range(n)
    ]


def opportunity(p: People, n: int = 1) -> World:
    opps = _opportunities(p, n)
    return _doc(opps[-1], customer=opps[-1].party_name, selected=[f"{o.name}@1" for o in opps])


def lead_opportunity(p: People, n: int = 1) -> World:
    return _doc(_opportunities(p, 1, party=make_lead(p.sales))[0])


def lost_opportunity(p: People, n: int = 1) -> World:
    opp = _opportunities(p, 1)[0]
    return _doc(crm.declare_opportunity_lost(opp, lost_reasons=["Timing"], version=1, by=p.sales))


def opportunity_with_history(p: People, n: int = 1) -> World:
    """n comments and n changes (the timeline, the comments, the home page's activity)."""
    opp = _opportunities(p, 1)[0]
    for i in range(n):
        crm.add_opportunity_comment(opp, content=f"Note {i}", by=p.sales)
        opp = crm.update_opportunity(
            opp, data={"title": f"Deal {i}"}, version=opp.version, by=p.sales
        )
    return _doc(opp)


def opportunity_with_documents(p: People, n: int = 1) -> World:
    """n comments, quotations, supplier quotations and requests for quotation on one opportunity
    (its page lists them all)."""
    opp = _opportunities(p, 1)[0]
    names = [
        buying.create_supplier(data={"supplier_name": f"Acme{i}"}, by=p.purchaser).name
        for i in range(n)
    ]
    for name in names:
        crm.add_opportunity_comment(opp, content="Note", by=p.sales)
        selling.make_quotation_from_opportunity(opp, by=p.sales)
        buying.make_supplier_quotation_from_opportunity(opp, supplier=name, by=p.purchaser)
        buying.make_request_for_quotation_from_opportunity(opp, suppliers=[name], by=p.purchaser)
    return _doc(Opportunity.objects.get(pk=opp.pk))


def opportunity_and_suppliers(p: People, n: int = 1) -> World:
    for name in ("Acme", "Bolt"):
        buying.create_supplier(data={"supplier_name": name}, by=p.purchaser)
    return opportunity(p)


def lead(p: People, n: int = 1) -> World:
    leads = [
        make_lead(p.sales, lead_name=f"Lead {i}", email_id=f"l{i}@x.example", lead_owner="sales")
        for i in range(n)
    ]
    return _doc(leads[-1], lead_name=leads[-1].lead_name, email_id=leads[-1].email_id)


def lead_with_opportunities(p: People, n: int = 1) -> World:
    party = make_lead(p.sales, lead_owner="sales")
    _opportunities(p, n, party=party)
    return _doc(party.__class__.objects.get(pk=party.pk))


def customer(p: People, n: int = 1) -> World:
    made = [make_customer(p.sales, customer_name=f"Customer {i}") for i in range(n)]
    return _doc(made[-1], customer_name=made[-1].customer_name)


def customer_with_opportunities(p: People, n: int = 1) -> World:
    opps = _opportunities(p, n)
    return {"name": opps[0].party_name}


def contact(p: People, n: int = 1) -> World:
    party = make_customer(p.sales)
    link = {"link_doctype": "Customer", "link_name": party.name}
    made = [crm.create_contact(data={"first_name": f"C{i}", **link}, by=p.sales) for i in range(n)]
    return _doc(made[-1], customer=party.name)


def _quotations(p: People, n: int, *, submit: bool) -> list:
    made = []
    for opp in _opportunities(p, n):
        q = selling.make_quotation_from_opportunity(opp, by=p.sales)
        made.append(selling.submit_quotation(q, by=p.sales) if submit else q)
    return made


def quotation(p: People, n: int = 1) -> World:
    q = _quotations(p, n, submit=False)[-1]
    return _doc(q, opportunity=q.opportunity_id, customer=q.party_name)


def submitted_quotation(p: People, n: int = 1) -> World:
    return _doc(_quotations(p, n, submit=True)[-1])


def _sales_orders(p: People, n: int, *, submit: bool) -> list:
    made = []
    for q in _quotations(p, n, submit=True):
        so = selling.make_sales_order_from_quotation(q, by=p.sales)
        made.append(selling.submit_sales_order(so, by=p.sales) if submit else so)
    return made


def sales_order(p: People, n: int = 1) -> World:
    so = _sales_orders(p, n, submit=False)[-1]
    return _doc(so, customer=so.customer_id)


def submitted_sales_order(p: People, n: int = 1) -> World:
    return _doc(_sales_orders(p, n, submit=True)[-1])


def supplier(p: People, n: int = 1) -> World:
    made = [
        buying.create_supplier(data={"supplier_name": f"Acme{i}"}, by=p.purchaser) for i in range(n)
    ]
    return _doc(made[-1])


def supplier_with_quotations(p: People, n: int = 1) -> World:
    supplier_quotation(p, n)
    return {"name": "Acme"}


def supplier_group(p: People, n: int = 1) -> World:
    made = [buying.create_supplier_group(name=f"Group{i}", by=p.purchaser) for i in range(n)]
    return {"name": made[-1].name}


def _supplier_quotations(p: People, n: int, *, submit: bool) -> list:
    buying.create_supplier(data={"supplier_name": "Acme"}, by=p.purchaser)
    made = []
    for opp in _opportunities(p, n):
        sq = buying.make_supplier_quotation_from_opportunity(opp, supplier="Acme", by=p.purchaser)
        rated = {"items": [{**row, "rate": "4"} for row in ITEMS]}
        sq = buying.update_supplier_quotation(sq, data=rated, version=sq.version, by=p.purchaser)
        made.append(buying.submit_supplier_quotation(sq, by=p.purchaser) if submit else sq)
    return made


def supplier_quotation(p: People, n: int = 1) -> World:
    sq = _supplier_quotations(p, n, submit=False)[-1]
    return _doc(sq, opportunity=sq.opportunity_id)


def submitted_supplier_quotation(p: People, n: int = 1) -> World:
    return _doc(_supplier_quotations(p, n, submit=True)[-1])


def _rfqs(p: People, n: int, *, submit: bool) -> list:
    for name in ("Acme", "Bolt"):
        buying.create_supplier(data={"supplier_name": name}, by=p.purchaser)
    made = []
    for opp in _opportunities(p, n):
        rfq = buying.make_request_for_quotation_from_opportunity(
            opp, suppliers=["Acme", "Bolt"], by=p.purchaser
        )
        made.append(buying.submit_request_for_quotation(rfq, by=p.purchaser) if submit else rfq)
    return made


def rfq(p: People, n: int = 1) -> World:
    made = _rfqs(p, n, submit=False)[-1]
    return _doc(made, opportunity=made.opportunity_id)


def submitted_rfq(p: People, n: int = 1) -> World:
    return _doc(_rfqs(p, n, submit=True)[-1])


def comparison(p: People, n: int = 1) -> World:
    """n submitted supplier quotations (from n suppliers) for one opportunity."""
    opp = _opportunities(p, 1)[0]
    for i in range(n):
        name = buying.create_supplier(data={"supplier_name": f"Acme{i}"}, by=p.purchaser).name
        sq = buying.make_supplier_quotation_from_opportunity(opp, supplier=name, by=p.purchaser)
        rated = {"items": [{**row, "rate": str(4 + i)} for row in ITEMS]}
        sq = buying.update_supplier_quotation(sq, data=rated, version=sq.version, by=p.purchaser)
        buying.submit_supplier_quotation(sq, by=p.purchaser)
    return _doc(opp)


def items(p: People, n: int = 1) -> World:
    for i in range(n):
        make_item(f"W{i}", rate="10")
    return {}


def exchanges(p: People, n: int = 1) -> World:
    made = [make_rate("EUR", "USD", "1.1", on=dt.date(2024, 1, 1 + i)) for i in range(n)]
    return {"id": made[-1].pk}


def tokens(p: People, n: int = 1) -> World:
    made = [ApiToken.issue(p.sales, f"token {i}")[0] for i in range(n)]
    return {"id": made[-1].pk}


def crm_settings(p: People, n: int = 1) -> World:
    return {"version": CRMSettings.load().version}


def heartbeat(p: People, n: int = 1) -> World:
    record_heartbeat()
    return {}


# --- the cases ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One request. ``path`` is the OpenAPI path (``/api/v1/...``) or a page's URL, its
    ``{names}`` filled from the world; ``body`` answers the JSON body, the posted form, or (GET,
    DELETE) the query string. ``queries`` is one number, or one per database vendor. ``lists``:
    the world takes a row count (pinned with ROWS, checked with one)."""

    label: str
    method: str
    path: str
    queries: int | dict[str, int]
    world: Callable[..., World] = nothing
    body: Body | None = None
    status: int | None = None
    user: str | None = "sales"  # a People attribute; None: anonymous
    lists: bool = False

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def expected_status(self) -> int:
        if self.status is not None:
            return self.status
        if self.is_api:
            return 204 if self.method == "delete" else 200
        return 302 if self.method == "post" else 200

    def expected(self, vendor: str) -> int:
        return self.queries if isinstance(self.queries, int) else self.queries[vendor]


def fixed(**data) -> Body:
    return lambda w: data


def versioned(**data) -> Body:
    return lambda w: {**data, "version": w["version"]}


def rows(lines: list[dict], **extra) -> dict:
    """Item rows as a page's form posts them (``items-0-item_code``...)."""
    posted = {
        f"items-{i}-{k}": v for i, row in enumerate(lines) for k, v in {**row, **extra}.items()
    }
    return posted


# --- the JSON API ------------------------------------------------------------------------------
OPPS, OPP = "/api/v1/opportunities", "/api/v1/opportunities/{name}"
LEADS, LEAD = "/api/v1/leads", "/api/v1/leads/{name}"
CUSTOMERS, CUSTOMER = "/api/v1/customers", "/api/v1/customers/{name}"
CONTACTS, CONTACT = "/api/v1/contacts", "/api/v1/contacts/{name}"
QTNS, QTN = "/api/v1/quotations", "/api/v1/quotations/{name}"
SOS, SO = "/api/v1/sales-orders", "/api/v1/sales-orders/{name}"
SUPPLIERS, SUPPLIER = "/api/v1/suppliers", "/api/v1/suppliers/{name}"
SQS, SQ = "/api/v1/supplier-quotations", "/api/v1/supplier-quotations/{name}"
RFQS, RFQ = "/api/v1/requests-for-quotation", "/api/v1/requests-for-quotation/{name}"
RATED = [{**row, "rate": "9"} for row in ITEMS]

API_CASES = [
    # opportunities
    Case("opportunities list", "get", OPPS, 7, opportunity, lists=True),
    Case(
        "opportunities create",
        "post",
        OPPS,
        20,
        opportunity,
        lambda w: {"opportunity_from": "Customer", "party_name": w["customer"], "items": ITEMS},
        201,
    ),
    Case("opportunity read", "get", OPP, 8, opportunity),
    Case("opportunity update", "patch", OPP, 23, opportunity, versioned(title="Big", items=RATED)),
    Case("opportunity delete", "delete", OPP, 23, opportunity, versioned()),
    Case(
        "opportunity declare lost",
        "post",
        OPP + "/declare-lost",
        20,
        opportunity,
        versioned(lost_reasons=["Timing"], competitors=[]),
    ),
    Case("opportunity reopen", "post", OPP + "/reopen", 17, lost_opportunity, versioned()),
    Case(
        "opportunity make customer", "post", OPP + "/make-customer", 22, lead_opportunity, status=201
    ),
    Case("opportunity timeline", "get", OPP + "/timeline", 5, opportunity_with_history, lists=True),
    Case("opportunity comments", "get", OPP + "/comments", 4, opportunity_with_history, lists=True),
    Case(
        "opportunity add comment",
        "post",
        OPP + "/comments",
        4,
        opportunity,
        fixed(content="Hi"),
        201,
    ),
    Case("opportunity make quotation", "post", OPP + "/make-quotation", 25, opportunity, status=201),
    Case(
        "opportunity make supplier quotation",
        "post",
        OPP + "/make-supplier-quotation",
        23,
        opportunity_and_suppliers,
        fixed(supplier="Acme"),
        201,
        "purchaser",
    ),
    Case(
        "opportunity make request for quotation",
        "post",
        OPP + "/make-request-for-quotation",
        24,
        opportunity_and_suppliers,
        fixed(suppliers=["Acme", "Bolt"]),
        201,
        "purchaser",
    ),
    Case(
        "opportunity supplier quotation comparison",
        "get",
        OPP + "/supplier-quotation-comparison",
        5,
        comparison,
        lists=True,
    ),
    # leads
    Case("leads list", "get", LEADS, 3, lead, lists=True),
    Case(
        "leads create",
        "post",
        LEADS,
        16,
        lead,
        fixed(lead_name="Grace", email_id="g@n.example"),
        201,
    ),
    Case("lead read", "get", LEAD, 4, lead),
    Case("lead update", "patch", LEAD, 10, lead, versioned(city="Paris")),
    Case("lead delete", "delete", LEAD, 21, lead, versioned()),
    Case("lead make opportunity", "post", LEAD + "/make-opportunity", 26, lead, status=201),
    Case("lead make customer", "post", LEAD + "/make-customer", 19, lead, status=201),
    # customers and contacts
    Case("customers list", "get", CUSTOMERS, 3, customer, lists=True),
    Case("customers create", "post", CUSTOMERS, 8, customer, fixed(customer_name="Lovelace"), 201),
    Case("customer read", "get", CUSTOMER, 4, customer),
    Case("customer update", "patch", CUSTOMER, 10, customer, versioned(website="https://b.example")),
    Case("customer delete", "delete", CUSTOMER, 17, customer, versioned()),
    Case("contacts list", "get", CONTACTS, 3, contact, lists=True),
    Case(
        "contacts create",
        "post",
        CONTACTS,
        9,
        contact,
        lambda w: {"first_name": "Ada", "link_doctype": "Customer", "link_name": w["customer"]},
        201,
    ),
    Case("contact read", "get", CONTACT, 4, contact),
    Case("contact update", "patch", CONTACT, 10, contact, versioned(phone="+1 555 0100")),
    Case("contact delete", "delete", CONTACT, 13, contact, versioned()),
    # settings and tokens
    Case("crm settings read", "get", "/api/v1/settings/crm", 4, user="manager"),
    Case(
        "crm settings update",
        "patch",
        "/api/v1/settings/crm",
        10,
        crm_settings,
        versioned(default_valid_till=30),
        user="manager",
    ),
    Case("tokens list", "get", "/api/v1/tokens", 2, tokens, lists=True),
    Case("tokens create", "post", "/api/v1/tokens", 2, body=fixed(label="cli"), status=201),
    Case("token revoke", "delete", "/api/v1/tokens/{id}", 2, tokens),
    # quotations and sales orders
    Case("quotations list", "get", QTNS, 7, quotation, lists=True),
    Case(
        "quotations create",
        "post",
        QTNS,
        20,
        quotation,
        lambda w: {
            "quotation_to": "Customer",
            "party_name": w["customer"],
            "opportunity": w["opportunity"],
            "items": ITEMS,
        },
        201,
    ),
    Case("quotation read", "get", QTN, 8, quotation),
    Case("quotation update", "patch", QTN, 23, quotation, versioned(items=RATED)),
    Case("quotation delete", "delete", QTN, 17, quotation, versioned()),
    Case("quotation submit", "post", QTN + "/submit", 24, quotation, versioned()),
    Case("quotation cancel", "post", QTN + "/cancel", 25, submitted_quotation, versioned()),
    Case(
        "quotation declare lost",
        "post",
        QTN + "/declare-lost",
        33,
        submitted_quotation,
        versioned(lost_reasons=["Too expensive"]),
    ),
    Case(
        "quotation make sales order",
        "post",
        QTN + "/make-sales-order",
        24,
        submitted_quotation,
        status=201,
    ),
    Case("quotation pdf", "get", QTN + "/pdf", 6, submitted_quotation),
    Case("quotation timeline", "get", QTN + "/timeline", 5, submitted_quotation),
    Case("sales orders list", "get", SOS, 5, sales_order, lists=True),
    Case(
        "sales orders create",
        "post",
        SOS,
        17,
        sales_order,
        lambda w: {"customer": w["customer"], "items": ITEMS},
        201,
    ),
    Case("sales order read", "get", SO, 6, sales_order),
    Case("sales order update", "patch", SO, 15, sales_order, versioned(terms="Net 30")),
    Case("sales order delete", "delete", SO, 12, sales_order, versioned()),
    Case("sales order submit", "post", SO + "/submit", 30, sales_order, versioned()),
    Case("sales order cancel", "post", SO + "/cancel", 27, submitted_sales_order, versioned()),
    Case("sales order timeline", "get", SO + "/timeline", 5, submitted_sales_order),
    # suppliers, supplier quotations, requests for quotation
    Case("suppliers list", "get", SUPPLIERS, 3, supplier, lists=True),
    Case(
        "suppliers create",
        "post",
        SUPPLIERS,
        7,
        supplier,
        fixed(supplier_name="Bolt"),
        201,
        "purchaser",
    ),
    Case("supplier read", "get", SUPPLIER, 4, supplier),
    Case(
        "supplier update",
        "patch",
        SUPPLIER,
        9,
        supplier,
        versioned(country="France"),
        user="purchaser",
    ),
    Case("supplier delete", "delete", SUPPLIER, 8, supplier, user="purchaser"),
    Case("supplier groups list", "get", "/api/v1/supplier-groups", 3, supplier_group, lists=True),
    Case(
        "supplier groups create",
        "post",
        "/api/v1/supplier-groups",
        4,
        body=fixed(name="Tools"),
        status=201,
        user="purchaser",
    ),
    Case(
        "supplier group delete",
        "delete",
        "/api/v1/supplier-groups/{name}",
        5,
        supplier_group,
        user="purchaser",
    ),
    Case("supplier quotations list", "get", SQS, 5, supplier_quotation, lists=True),
    Case(
        "supplier quotations create",
        "post",
        SQS,
        19,
        supplier_quotation,
        lambda w: {"supplier": "Acme", "opportunity": w["opportunity"], "items": RATED},
        201,
        "purchaser",
    ),
    Case("supplier quotation read", "get", SQ, 6, supplier_quotation),
    Case(
        "supplier quotation update",
        "patch",
        SQ,
        19,
        supplier_quotation,
        versioned(items=RATED),
        user="purchaser",
    ),
    Case(
        "supplier quotation delete",
        "delete",
        SQ,
        12,
        supplier_quotation,
        versioned(),
        user="purchaser",
    ),
    Case(
        "supplier quotation submit",
        "post",
        SQ + "/submit",
        14,
        supplier_quotation,
        versioned(),
        user="purchaser",
    ),
    Case(
        "supplier quotation cancel",
        "post",
        SQ + "/cancel",
        12,
        submitted_supplier_quotation,
        versioned(),
        user="purchaser",
    ),
    Case("supplier quotation timeline", "get", SQ + "/timeline", 5, submitted_supplier_quotation),
    Case("requests for quotation list", "get", RFQS, 5, rfq, lists=True),
    Case(
        "requests for quotation create",
        "post",
        RFQS,
        20,
        rfq,
        lambda w: {"opportunity": w["opportunity"], "suppliers": ["Acme", "Bolt"], "items": ITEMS},
        201,
        "purchaser",
    ),
    Case("request for quotation read", "get", RFQ, 6, rfq),
    # With the items: a PATCH of the header alone answers 500 (core/items.py save_rows).
    Case(
        "request for quotation update",
        "patch",
        RFQ,
        20,
        rfq,
        versioned(message_for_supplier="Best price?", items=ITEMS),
        user="purchaser",
    ),
    Case("request for quotation delete", "delete", RFQ, 16, rfq, versioned(), user="purchaser"),
    Case(
        "request for quotation submit",
        "post",
        RFQ + "/submit",
        14,
        rfq,
        versioned(),
        user="purchaser",
    ),
    Case(
        "request for quotation cancel",
        "post",
        RFQ + "/cancel",
        13,
        submitted_rfq,
        versioned(),
        user="purchaser",
    ),
    Case(
        "request for quotation make supplier quotation",
        "post",
        RFQ + "/make-supplier-quotation",
        25,
        submitted_rfq,
        fixed(supplier="Acme"),
        201,
        "purchaser",
    ),
    Case("request for quotation timeline", "get", RFQ + "/timeline", 5, submitted_rfq),
    # currency exchanges (the other masters follow)
    Case("currency exchanges list", "get", "/api/v1/currency-exchanges", 3, exchanges, lists=True),
    Case(
        "currency exchanges create",
        "post",
        "/api/v1/currency-exchanges",
        10,
        body=fixed(from_currency="GBP", to_currency="USD", date="2024-01-01", exchange_rate="1.27"),
        status=201,
        user="manager",
    ),
    Case("currency exchange read", "get", "/api/v1/currency-exchanges/{id}", 3, exchanges),
    Case(
        "currency exchange update",
        "patch",
        "/api/v1/currency-exchanges/{id}",
        10,
        exchanges,
        fixed(exchange_rate="1.2"),
        user="manager",
    ),
    Case(
        "currency exchange delete",
        "delete",
        "/api/v1/currency-exchanges/{id}",
        6,
        exchanges,
        user="manager",
    ),
]


# --- masters: the same operations on each (masters/api.py and crm/api_masters.py MASTERS) -------
@dataclass(frozen=True)
class Master:
    path: str
    spec: Any
    names: tuple[str, str]  # the kept record's name (with a digit added per row), a new one's
    change: dict | None  # a PATCH body; None: the master has no PATCH
    counts: tuple[int, int, int, int, int]  # list, create, read, update, delete
    extra: dict | None = None  # more fields of a new record
    user: str = "manager"


MASTERS = [
    Master(
        "currencies",
        masters.CURRENCY,
        ("QQ", "QQZ"),
        {"symbol": "¤"},
        (3, 8, 3, 9, 24),
        {"currency_name": "Test"},
    ),
    Master("uoms", masters.UOM_SPEC, ("Crate", "Pallet"), {"enabled": False}, (3, 8, 3, 9, 26)),
    Master(
        "items",
        masters.ITEM,
        ("Bolt", "Nut"),
        {"standard_rate": "2"},
        (3, 9, 3, 9, 16),
        {"stock_uom": "Nos", "standard_rate": "1"},
        "purchaser",
    ),
    Master(
        "territories",
        masters.TERRITORY,
        ("North", "South"),
        {"parent_territory": "All Territories"},
        (3, 8, 3, 11, 18),
    ),
    Master(
        "customer-groups", masters.CUSTOMER_GROUP, ("Resellers", "Retail"), None, (3, 8, 3, 0, 14)
    ),
    Master("industries", masters.INDUSTRY, ("Mining", "Energy"), None, (3, 8, 3, 0, 12)),
    Master("item-groups", masters.ITEM_GROUP, ("Parts", "Tools"), None, (3, 8, 3, 0, 10)),
    Master(
        "opportunity-types",
        crm_masters.OPPORTUNITY_TYPE,
        ("Renewal", "Upsell"),
        {"description": "x"},
        (3, 8, 3, 9, 8),
    ),
    Master(
        "lead-sources",
        crm_masters.LEAD_SOURCE,
        ("Podcast", "Radio"),
        {"details": "x"},
        (3, 8, 3, 9, 14),
    ),
    Master(
        "campaigns",
        crm_masters.CAMPAIGN,
        ("Spring", "Autumn"),
        {"description": "x"},
        (3, 8, 3, 9, 14),
    ),
    Master(
        "sales-stages",
        crm_masters.SALES_STAGE,
        ("Closing", "Signing"),
        {"probability": 96},
        (3, 8, 3, 9, 8),
        {"idx": 20, "probability": 95},
    ),
    Master("lost-reasons", crm_masters.LOST_REASON, ("Moved", "Merged"), None, (3, 8, 3, 0, 10)),
    Master(
        "competitors",
        crm_masters.COMPETITOR,
        ("Rival", "Foe"),
        {"website": "https://r.example"},
        (3, 8, 3, 9, 10),
    ),
]


def _master_cases(m: Master) -> list[Case]:
    kept, new = m.names
    suffix = "ABC" if m.path == "currencies" else "123"  # a currency code is three capitals

    def world(p: People, n: int = 1) -> World:
        for i in range(n):
            data = {"name": kept + suffix[i], **(m.extra or {})}
            masters.create_master(m.spec, data=data, by=p.manager)
        return {"name": kept + suffix[n - 1]}

    listed, created, read, updated, deleted = m.counts
    many, one = f"/api/v1/{m.path}", f"/api/v1/{m.path}/{{name}}"
    new_body = fixed(name=new, **(m.extra or {}))
    cases = [
        Case(f"{m.path} list", "get", many, listed, world, lists=True),
        Case(f"{m.path} create", "post", many, created, body=new_body, status=201, user=m.user),
        Case(f"{m.path} read", "get", one, read, world),
        Case(f"{m.path} delete", "delete", one, deleted, world, user=m.user),
    ]
    if m.change is not None:
        cases.append(
            Case(f"{m.path} update", "patch", one, updated, world, fixed(**m.change), user=m.user)
        )
    return cases


# --- the pages ---------------------------------------------------------------------------------
def opportunity_form(w: World) -> dict:
    return {
        "opportunity_from": "Customer",
        "party_name": w["customer"],
        "opportunity_type": "Sales",
        "opportunity_owner": "sales",
        "currency": "USD",
        **rows(ITEMS),
    }


# what the edit form shows of the opportunity the worlds make (a browser posts every field)
OPPORTUNITY_AS_SHOWN = {
    "sales_stage": "Prospecting",
    "probability": "10",
    "opportunity_amount": "35",
    "conversion_rate": "1",
}


def quotation_form(w: World) -> dict:
    return {
        "quotation_to": "Customer",
        "party_name": w["customer"],
        "transaction_date": TODAY,
        "currency": "USD",
        **rows(ITEMS, rate="9"),
    }


def sales_order_form(w: World) -> dict:
    return {"customer": w["customer"], "transaction_date": TODAY, "currency": "USD", **rows(ITEMS)}


def supplier_quotation_form(w: World) -> dict:
    return {
        "supplier": "Acme",
        "transaction_date": TODAY,
        "currency": "USD",
        **rows(ITEMS, rate="4"),
    }


def rfq_form(w: World) -> dict:
    return {"transaction_date": TODAY, "suppliers": ["Acme", "Bolt"], **rows(ITEMS)}


def with_version(form: Body) -> Body:
    return lambda w: {**form(w), "version": w["version"]}


OP, L, C = "/crm/opportunities/{name}/", "/crm/leads/{name}/", "/crm/customers/{name}/"
Q, S = "/selling/quotations/{name}/", "/selling/sales-orders/{name}/"
SUP, SQP = "/buying/suppliers/{name}/", "/buying/supplier-quotations/{name}/"
RFQP = "/buying/requests-for-quotation/{name}/"
BO = "/buying/opportunities/{name}/"

PAGE_CASES = [
    # core and accounts
    Case("home", "get", "/", 11, opportunity_with_history, lists=True),
    Case("healthz", "get", "/healthz", 2, heartbeat, user=None),
    Case("login page", "get", "/accounts/login/", 0, user=None),
    Case("logout", "post", "/accounts/logout/", 4),
    Case("profile", "get", "/accounts/profile/", 4, tokens, lists=True),
    Case("profile new token", "post", "/accounts/profile/", 5, tokens, fixed(label="cli"), 200),
    Case("profile revoke token", "post", "/accounts/profile/tokens/{id}/revoke/", 3, tokens),
    # opportunities
    Case("opportunity list page", "get", "/crm/opportunities/", 10, opportunity, lists=True),
    Case("opportunity board", "get", "/crm/opportunities/board/", 12, opportunity, lists=True),
    Case(
        "opportunity board move",
        "post",
        "/crm/opportunities/board/move/",
        17,
        opportunity,
        lambda w: {"name": w["name"], "to": "Qualification", "version": w["version"]},
        200,
    ),
    # one service call per selected opportunity, by design (crm/services/bulk.py): ROWS of them
    Case(
        "opportunity bulk assign",
        "post",
        "/crm/opportunities/bulk/",
        35,
        lambda p, n=1: opportunity(p, ROWS),
        lambda w: {"selected": w["selected"], "action": "assign", "assign_value": "manager"},
    ),
    Case("opportunity new page", "get", "/crm/opportunities/new/", 13),
    Case(
        "opportunity create page",
        "post",
        "/crm/opportunities/new/",
        27,
        opportunity,
        opportunity_form,
    ),
    Case(
        "party search",
        "get",
        "/crm/opportunities/parties/",
        4,
        customer,
        fixed(opportunity_from="Customer", party_q="Customer"),
        lists=True,
    ),
    Case("item search", "get", "/crm/opportunities/items/", 4, items, fixed(q="W"), lists=True),
    Case(
        "exchange rate",
        "get",
        "/crm/opportunities/exchange-rate/",
        5,
        exchanges,
        fixed(currency="EUR"),
    ),
    Case("opportunity page", "get", OP, 19, opportunity_with_documents, lists=True),
    Case("opportunity edit page", "get", OP + "edit/", 18, opportunity),
    Case(
        "opportunity edit save",
        "post",
        OP + "edit/",
        27,
        opportunity,
        with_version(lambda w: {**opportunity_form(w), **OPPORTUNITY_AS_SHOWN, "title": "Big"}),
    ),
    Case(
        "opportunity declare lost page",
        "post",
        OP + "declare-lost/",
        16,
        opportunity,
        versioned(lost_reasons=["Timing"]),
    ),
    Case("opportunity reopen page", "post", OP + "reopen/", 13, lost_opportunity, versioned()),
    Case("opportunity close page", "post", OP + "close/", 14, opportunity, versioned()),
    Case(
        "opportunity assign page",
        "post",
        OP + "assign/",
        15,
        opportunity,
        versioned(opportunity_owner="manager"),
    ),
    Case(
        "opportunity comment page", "post", OP + "comment/", 5, opportunity, fixed(content="Called")
    ),
    Case("opportunity make customer page", "post", OP + "make-customer/", 23, lead_opportunity),
    # leads and customers
    Case("lead list page", "get", "/crm/leads/", 6, lead, lists=True),
    Case("lead new page", "get", "/crm/leads/new/", 8),
    Case(
        "lead create page",
        "post",
        "/crm/leads/new/",
        22,
        lead,
        fixed(lead_name="Grace", lead_owner="sales"),
    ),
    Case("lead page", "get", L, 9, lead_with_opportunities, lists=True),
    Case("lead edit page", "get", L + "edit/", 10, lead),
    Case(
        "lead edit save",
        "post",
        L + "edit/",
        16,
        lead,
        lambda w: {
            **versioned(city="Paris", lead_owner="sales")(w),
            "lead_name": w["lead_name"],
            "email_id": w["email_id"],
        },
    ),
    Case("lead make customer page", "post", L + "make-customer/", 20, lead),
    Case("customer list page", "get", "/crm/customers/", 5, customer, lists=True),
    Case("customer new page", "get", "/crm/customers/new/", 7),
    Case(
        "customer create page",
        "post",
        "/crm/customers/new/",
        12,
        customer,
        fixed(customer_name="Lovelace", customer_type="Company"),
    ),
    Case("customer page", "get", C, 7, customer_with_opportunities, lists=True),
    Case("customer edit page", "get", C + "edit/", 8, customer),
    Case(
        "customer edit save",
        "post",
        C + "edit/",
        14,
        customer,
        lambda w: {
            **versioned(customer_type="Company", phone="123")(w),
            "customer_name": w["customer_name"],
        },
    ),
    Case("masters page", "get", "/crm/masters/", 14),
    # quotations and sales orders
    Case("quotation list page", "get", "/selling/quotations/", 4, quotation, lists=True),
    Case("quotation new page", "get", "/selling/quotations/new/", 5),
    Case("quotation create page", "post", "/selling/quotations/new/", 17, quotation, quotation_form),
    Case("quotation page", "get", Q, 13, submitted_quotation),
    Case("quotation edit page", "get", Q + "edit/", 6, quotation),
    Case("quotation edit save", "post", Q + "edit/", 22, quotation, with_version(quotation_form)),
    Case("quotation delete page", "post", Q + "delete/", 18, quotation, versioned()),
    Case("quotation submit page", "post", Q + "submit/", 20, quotation, versioned()),
    Case("quotation cancel page", "post", Q + "cancel/", 21, submitted_quotation, versioned()),
    Case(
        "quotation declare lost page",
        "post",
        Q + "declare-lost/",
        31,
        submitted_quotation,
        versioned(lost_reasons=["Too expensive"]),
    ),
    Case(
        "quotation make sales order page", "post", Q + "make-sales-order/", 23, submitted_quotation
    ),
    Case("quotation pdf page", "get", Q + "pdf/", 7, submitted_quotation),
    Case(
        "opportunity make quotation page",
        "post",
        "/selling/opportunities/{name}/make-quotation/",
        22,
        opportunity,
    ),
    Case("sales order list page", "get", "/selling/sales-orders/", 4, sales_order, lists=True),
    Case("sales order new page", "get", "/selling/sales-orders/new/", 5),
    Case(
        "sales order create page",
        "post",
        "/selling/sales-orders/new/",
        18,
        sales_order,
        sales_order_form,
    ),
    Case("sales order page", "get", S, 10, submitted_sales_order),
    Case("sales order edit page", "get", S + "edit/", 6, sales_order),
    Case(
        "sales order edit save", "post", S + "edit/", 19, sales_order, with_version(sales_order_form)
    ),
    Case("sales order delete page", "post", S + "delete/", 13, sales_order, versioned()),
    Case("sales order submit page", "post", S + "submit/", 28, sales_order, versioned()),
    Case("sales order cancel page", "post", S + "cancel/", 25, submitted_sales_order, versioned()),
    # suppliers, supplier quotations, requests for quotation
    Case("supplier list page", "get", "/buying/suppliers/", 4, supplier, lists=True),
    Case("supplier new page", "get", "/buying/suppliers/new/", 5, user="purchaser"),
    Case(
        "supplier create page",
        "post",
        "/buying/suppliers/new/",
        9,
        body=fixed(supplier_name="Bolt"),
        user="purchaser",
    ),
    Case("supplier page", "get", SUP, 5, supplier_with_quotations, lists=True),
    Case("supplier edit page", "get", SUP + "edit/", 6, supplier, user="purchaser"),
    Case(
        "supplier edit save",
        "post",
        SUP + "edit/",
        11,
        supplier,
        lambda w: {"supplier_name": w["name"], "country": "France", "version": w["version"]},
        user="purchaser",
    ),
    Case("supplier groups page", "get", "/buying/supplier-groups/", 4, supplier_group, lists=True),
    Case(
        "supplier groups add",
        "post",
        "/buying/supplier-groups/",
        5,
        body=fixed(name="Tools"),
        user="purchaser",
    ),
    Case(
        "supplier quotation list page",
        "get",
        "/buying/supplier-quotations/",
        4,
        supplier_quotation,
        lists=True,
    ),
    Case(
        "supplier quotation new page",
        "get",
        "/buying/supplier-quotations/new/",
        6,
        supplier,
        user="purchaser",
    ),
    Case(
        "supplier quotation create page",
        "post",
        "/buying/supplier-quotations/new/",
        19,
        supplier_quotation,
        supplier_quotation_form,
        user="purchaser",
    ),
    Case("supplier quotation page", "get", SQP, 10, submitted_supplier_quotation),
    Case(
        "supplier quotation edit page",
        "get",
        SQP + "edit/",
        7,
        supplier_quotation,
        user="purchaser",
    ),
    Case(
        "supplier quotation edit save",
        "post",
        SQP + "edit/",
        20,
        supplier_quotation,
        with_version(supplier_quotation_form),
        user="purchaser",
    ),
    Case(
        "supplier quotation delete page",
        "post",
        SQP + "delete/",
        13,
        supplier_quotation,
        versioned(),
        user="purchaser",
    ),
    Case(
        "supplier quotation submit page",
        "post",
        SQP + "submit/",
        12,
        supplier_quotation,
        versioned(),
        user="purchaser",
    ),
    Case(
        "supplier quotation cancel page",
        "post",
        SQP + "cancel/",
        10,
        submitted_supplier_quotation,
        versioned(),
        user="purchaser",
    ),
    Case("rfq list page", "get", "/buying/requests-for-quotation/", 4, rfq, lists=True),
    Case(
        "rfq new page", "get", "/buying/requests-for-quotation/new/", 5, supplier, user="purchaser"
    ),
    Case(
        "rfq create page",
        "post",
        "/buying/requests-for-quotation/new/",
        17,
        rfq,
        rfq_form,
        user="purchaser",
    ),
    Case("rfq page", "get", RFQP, 10, submitted_rfq),
    Case("rfq edit page", "get", RFQP + "edit/", 7, rfq, user="purchaser"),
    Case("rfq edit save", "post", RFQP + "edit/", 20, rfq, with_version(rfq_form), user="purchaser"),
    Case("rfq delete page", "post", RFQP + "delete/", 17, rfq, versioned(), user="purchaser"),
    Case("rfq submit page", "post", RFQP + "submit/", 12, rfq, versioned(), user="purchaser"),
    Case(
        "rfq cancel page", "post", RFQP + "cancel/", 11, submitted_rfq, versioned(), user="purchaser"
    ),
    Case(
        "rfq make supplier quotation page",
        "post",
        RFQP + "make-supplier-quotation/",
        24,
        submitted_rfq,
        fixed(supplier="Acme"),
        user="purchaser",
    ),
    Case(
        "opportunity make supplier quotation page",
        "get",
        BO + "make-supplier-quotation/",
        5,
        opportunity_and_suppliers,
        user="purchaser",
    ),
    Case(
        "opportunity make supplier quotation save",
        "post",
        BO + "make-supplier-quotation/",
        23,
        opportunity_and_suppliers,
        fixed(supplier="Acme"),
        user="purchaser",
    ),
    Case(
        "opportunity make rfq page",
        "get",
        BO + "make-request-for-quotation/",
        5,
        opportunity_and_suppliers,
        user="purchaser",
    ),
    Case(
        "opportunity make rfq save",
        "post",
        BO + "make-request-for-quotation/",
        23,
        opportunity_and_suppliers,
        fixed(suppliers=["Acme", "Bolt"]),
        user="purchaser",
    ),
    Case(
        "supplier quotation comparison page",
        "get",
        BO + "supplier-quotation-comparison/",
        6,
        comparison,
        lists=True,
    ),
]

CASES = API_CASES + [case for m in MASTERS for case in _master_cases(m)] + PAGE_CASES


# --- measuring ---------------------------------------------------------------------------------
@pytest.fixture
def people(sales, manager, purchaser) -> People:
    """The users, and every naming series' counter row of this year (the steady state)."""
    for model in apps.get_models():
        if issubclass(model, Document) and model.naming_series:
            NamingSeries.objects.get_or_create(prefix=expand_series(model.naming_series))
    return People(sales, manager, purchaser)


def _client(case: Case, user) -> tuple[Client, dict[str, str]]:
    if case.is_api:
        api_client = ApiClient(user)
        # last_used is written at most once a minute, not on this request
        ApiToken.objects.filter(user=user).update(last_used=timezone.now())
        return api_client.client, api_client.headers
    client = Client()
    if user is not None:
        client.force_login(user)
    return client, {}


def _request(case: Case, world: World, client: Client, headers: dict[str, str]):
    url = case.path.format_map(world)
    body = case.body(world) if case.body else None
    send = getattr(client, case.method)
    if case.method in ("get", "delete"):
        return send(url, query_params=body, headers=headers)
    if case.is_api:
        return send(url, body or {}, content_type="application/json", headers=headers)
    return send(url, body or {}, headers=headers)


def _measure(case: Case, people: People, n: int, assert_num_queries) -> None:
    world = case.world(people, n)
    user = getattr(people, case.user) if case.user else None
    client, headers = _client(case, user)
    with assert_num_queries(case.expected(connection.vendor)):
        response = _request(case, world, client, headers)
    assert response.status_code == case.expected_status, response.content[:2000]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_query_count(case, people, django_assert_num_queries):
    _measure(case, people, ROWS if case.lists else 1, django_assert_num_queries)


@pytest.mark.parametrize("case", [c for c in CASES if c.lists], ids=lambda c: c.label)
def test_lists_cost_the_same_for_one_row(case, people, django_assert_num_queries):
    _measure(case, people, 1, django_assert_num_queries)


# --- completeness ------------------------------------------------------------------------------
# Not pinned, with the reason. (The API's docs and schema are not operations of the schema.)
API_EXCLUDED: set[tuple[str, str]] = set()
PAGES_EXCLUDED: set[str] = set()
PAGE_URLCONFS = (
    "opportune.core.urls",
    "opportune.accounts.urls",
    "opportune.crm.urls",
    "opportune.selling.urls",
    "opportune.buying.urls",
)


def test_every_api_operation_is_pinned():
    paths = api.get_openapi_schema()["paths"]
    operations = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    pinned = {(c.method.upper(), c.path) for c in CASES if c.is_api}
    assert pinned <= operations, f"cases of no operation: {sorted(pinned - operations)}"
    missing = operations - pinned - API_EXCLUDED
    assert not missing, f"pin these in CASES, or exclude them saying why: {sorted(missing)}"


def _module_name(resolver: URLResolver) -> str:
    return getattr(resolver.urlconf_module, "__name__", "")  # admin and the API: lists


def page_url_names() -> set[str]:
    """The URL names of the pages: the apps' URL confs, and the root's own (``healthz``)."""
    names = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLPattern) and entry.name:
            names.add(entry.name)
        elif isinstance(entry, URLResolver) and _module_name(entry) in PAGE_URLCONFS:
            prefix = f"{entry.namespace}:" if entry.namespace else ""
            names |= {prefix + p.name for p in entry.url_patterns if isinstance(p, URLPattern)}
    return names


def test_every_page_is_pinned():
    any_name = defaultdict(lambda: "1")
    pinned = {resolve(c.path.format_map(any_name)).view_name for c in CASES if not c.is_api}
    names = page_url_names()
    assert pinned <= names, f"cases of no page: {sorted(pinned - names)}"
    missing = names - pinned - PAGES_EXCLUDED
    assert not missing, f"pin these in CASES, or exclude them saying why: {sorted(missing)}"
