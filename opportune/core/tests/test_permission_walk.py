"""Every door, for every role: each URL pattern of the URL configuration and each operation of the
OpenAPI document has a declared rule here, and is walked for each persona against the records the
persona may and may not see (docs/decisions/0008-record-rules.md).

- A URL or operation without a declared rule fails ``test_every_door_has_a_rule``: a new endpoint
  must say who may pass.
- ``test_walk`` (one per role) asks every read and expects 2xx (and, for lists, the walked
  records listed exactly when the role sees them) or 404; it asks every write the role may not do
  and expects 404 (unseen) or 403 (seen, or refused by role before the body is read), and that
  nothing changed. The writes a role may do are left to the tests of each feature.
- Anonymous: 401 on the API, a redirect to the login page on pages; the admin sends every
  non-staff user to its login.

The records are made once per role by ``world`` (one set: ``sales`` made the opportunity, its
lead, quotation, sales order; ``purchaser`` the supplier quotation and RFQ from it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from opportune.accounts.models import ApiToken
from opportune.accounts.roles import (
    PURCHASE_USER,
    SALES_MANAGER,
    SALES_USER,
    SYSTEM_MANAGER,
)
from opportune.activities import services as activities
from opportune.activities import todos
from opportune.api import api
from opportune.automation import services as automation
from opportune.buying import services as buying
from opportune.comms import services as comms
from opportune.comms.models import CommunicationAttachment, EmailAccount
from opportune.core import saved_views
from opportune.core.models import DeletedDocument, ImportJob
from opportune.crm import services as crm
from opportune.crm.models import Contact, OpportunityLostReason
from opportune.masters.models import CurrencyExchange
from opportune.notifications.models import Notification
from opportune.notifications.services import notify
from opportune.reports.models import SalesTarget
from opportune.reports.registry import REPORTS
from opportune.selling import services as selling
from opportune.testing import make_customer, make_item, make_lead, make_opportunity, make_user
from opportune.webhooks.models import Webhook, WebhookDelivery

ROLES = ("owner", "other", "manager", "purchaser", "sysman", "norole", "anon")
STAFF = frozenset(ROLES) - {"norole", "anon"}
SIGNED_IN = STAFF | {"norole"}
SALES = frozenset({"owner", "other", "manager", "sysman"})
MANAGERS = frozenset({"manager", "sysman"})
# who sees the records ``owner`` made (and the documents made from them), and who changes them
SEES_OWNERS = frozenset({"owner", "manager", "sysman"})
SEES = {
    "opportunity": SEES_OWNERS | {"purchaser"},  # purchase users read every opportunity
    "lead": SEES_OWNERS,
    "contact": SEES_OWNERS,  # the lead's contact follows the lead
    "quotation": SEES_OWNERS,
    "sales_order": SEES_OWNERS,
    "customer": STAFF,  # shared
    "supplier": STAFF,
    "supplier_quotation": SEES_OWNERS | {"purchaser"},  # with its opportunity
    "rfq": SEES_OWNERS | {"purchaser"},
    "supplier_group": STAFF,
    "master": STAFF,
    "exchange": STAFF,
    "settings": STAFF,
    "token": frozenset({"owner"}),  # one's own
    "notification": frozenset({"owner"}),  # one's own
    "event": frozenset({"owner"}),  # one's own calendar: managers included, nobody else's
    "saved_view": frozenset({"owner"}),  # a private saved view: its owner's only
    "import": frozenset({"owner"}),  # an import: its user's only
    "deleted": MANAGERS,  # the audit trail's deleted documents: managers only (403 to others)
    "assignment_rule": MANAGERS,  # assignment rules: managers only
    "assignment": SEES_OWNERS,  # given to ``owner``: the assignee (or who gave it) and managers
    # on ``owner``'s lead, given to them: who sees the lead, the assignee, its planner, managers
    "activity": SEES_OWNERS,
    "email_account": MANAGERS,  # email accounts: managers only (403 to others)
    "webhook": MANAGERS,  # webhooks and their deliveries: managers only (403 to others)
    "webhook_delivery": MANAGERS,
    "attachment": SEES_OWNERS | {"purchaser"},  # an email's file: who sees its opportunity
}
BUYERS = frozenset({"purchaser", "sysman"})
WRITES = {
    "opportunity": SEES_OWNERS,
    "lead": SEES_OWNERS,
    "contact": SEES_OWNERS,
    "quotation": SEES_OWNERS,
    "sales_order": SEES_OWNERS,
    "customer": SALES,
    "supplier": BUYERS,
    "supplier_quotation": BUYERS,
    "rfq": BUYERS,
    "supplier_group": BUYERS,
    "master": MANAGERS,
    "item": MANAGERS | {"purchaser"},  # purchase users keep the catalogue (masters/access.py)
    "settings": MANAGERS,
    "token": frozenset({"owner"}),
    "notification": frozenset({"owner"}),
    "assignment": SEES_OWNERS,
    "activity": SEES_OWNERS,
    "event": frozenset({"owner"}),
    "saved_view": frozenset({"owner"}),
    "import": frozenset({"owner"}),
}


@dataclass(frozen=True)
class Rule:
    """Who may pass one door. ``record``: what fills the path parameter (a key of the world),
    or None. ``sees``: for a read, who gets 2xx (others 404); for a list, whose list shows the
    ``listed`` record. ``writes``: for a write, who may do it (not walked); others get 404 when
    they do not see the record, else 403, or 403 whatever they see when ``gate`` (refused by
    role before the body is read)."""

    record: str | None = None
    sees: frozenset[str] = SIGNED_IN
    writes: frozenset[str] = frozenset()
    refusal: int | None = None  # what a refused role gets, when not the 404/403 above
    listed: str | None = None
    gate: bool = False
    body: dict[str, Any] = field(default_factory=dict)
    public: bool = False  # no login needed: everyone gets ``ok`` (anonymous: ``ok_anonymous``)
    ok: int = 200  # what a successful read answers
    ok_anonymous: int | None = None
    query: str = ""  # appended to a read's URL


def read(record: str | None = None, **kw: Any) -> Rule:
    """A read of ``record`` (2xx to who sees it, else 404), or of no record (2xx to every
    signed-in user unless ``sees`` says otherwise: lists are then empty)."""
    sees = SEES[record] if record is not None else kw.pop("sees", SIGNED_IN)
    return Rule(record=record, sees=sees, **kw)


def listing(record: str, **kw: Any) -> Rule:
    """A list: 200 to every signed-in user, showing ``record`` to who sees it."""
    return Rule(listed=record, **kw)


def write(record: str | None, writes: frozenset[str] | None = None, **kw: Any) -> Rule:
    if writes is None:
        assert record is not None, "a write of no record names who may do it"
        writes = WRITES[record]
    return Rule(record=record, sees=SEES[record] if record else SIGNED_IN, writes=writes, **kw)


CREATORS = {
    **dict.fromkeys(("opportunity", "lead", "contact", "customer"), SALES),
    **dict.fromkeys(("quotation", "sales_order", "activity"), SALES),
    **dict.fromkeys(("supplier", "supplier_quotation", "rfq"), BUYERS),
}


def create(kind: str) -> Rule:
    """Creating: refused by role before the body is read."""
    return Rule(writes=CREATORS[kind], gate=True)


# --- the API: every operation of the OpenAPI document ------------------------------------------
def _document(path: str, kind: str, *, patch: bool = True, timeline: bool = True) -> dict:
    rules = {
        f"GET /{path}": listing(kind),
        f"POST /{path}": create(kind),
        f"GET /{path}/{{name}}": read(kind),
        f"DELETE /{path}/{{name}}": write(kind),
    }
    if patch:
        rules[f"PATCH /{path}/{{name}}"] = write(kind)
    if timeline:
        rules[f"GET /{path}/{{name}}/timeline"] = read(kind)
    return rules


def _master(path: str, kind: str = "master", *, patch: bool = True) -> dict:
    writes = WRITES[kind]
    rules = {
        f"GET /{path}": read(),
        f"POST /{path}": Rule(writes=writes, gate=True, body={"bad": "shape"}),
        f"GET /{path}/{{name}}": read(path),
        f"DELETE /{path}/{{name}}": Rule(record=path, writes=writes, gate=True),
    }
    if patch:
        rules[f"PATCH /{path}/{{name}}"] = Rule(
            record=path, writes=writes, gate=True, body={"bad": "shape"}
        )
    return rules


MASTERS = {  # path: patchable
    "currencies": True,
    "uoms": True,
    "territories": True,
    "customer-groups": False,
    "industries": False,
    "item-groups": False,
    "opportunity-types": True,
    "lead-sources": True,
    "campaigns": True,
    "sales-stages": True,
    "lost-reasons": False,
    "competitors": True,
    "activity-types": True,
}
for _path in (*MASTERS, "items"):
    SEES[_path] = STAFF

LOST = {"lost_reasons": ["Walked"]}
EMAIL = {"recipients": ["walked@example.com"], "subject": "Walked", "content": "Walked"}
API_RULES: dict[str, Rule] = {
    **_document("opportunities", "opportunity"),
    **_document("leads", "lead"),
    **_document("customers", "customer", timeline=False),
    **_document("contacts", "contact", timeline=False),
    **_document("quotations", "quotation"),
    **_document("sales-orders", "sales_order"),
    **_document("suppliers", "supplier", timeline=False),
    **_document("supplier-quotations", "supplier_quotation"),
    **_document("requests-for-quotation", "rfq"),
    **_document("activities", "activity", timeline=False),
    "POST /activities/{name}/done": write("activity", body={"outcome": "Walked"}),
    "POST /activities/{name}/cancel": write("activity"),
    **{k: v for p, patch in MASTERS.items() for k, v in _master(p, patch=patch).items()},
    **_master("items", "item"),
    "GET /currency-exchanges": read(),
    "POST /currency-exchanges": Rule(writes=MANAGERS, gate=True, body={"bad": "shape"}),
    "GET /currency-exchanges/{id}": read("exchange"),
    "PATCH /currency-exchanges/{id}": Rule(
        record="exchange", writes=MANAGERS, gate=True, body={"bad": "shape"}
    ),
    "DELETE /currency-exchanges/{id}": Rule(record="exchange", writes=MANAGERS, gate=True),
    "GET /settings/crm": read(sees=STAFF),  # every staff role reads; a user without a role: 404
    "PATCH /settings/crm": Rule(writes=MANAGERS, gate=True, body={"version": "not a number"}),
    # the documents and actions of an opportunity
    "GET /opportunities/{name}/comments": read("opportunity"),
    "POST /opportunities/{name}/comments": write("opportunity", body={"content": "Mine now"}),
    "POST /opportunities/{name}/declare-lost": write("opportunity", body=LOST),
    "POST /opportunities/{name}/reopen": write("opportunity"),
    "POST /opportunities/{name}/make-customer": write("opportunity"),
    "POST /opportunities/{name}/make-quotation": write("opportunity"),
    "POST /opportunities/{name}/make-supplier-quotation": write(
        "opportunity", BUYERS, body={"supplier": "Acme"}
    ),
    "POST /opportunities/{name}/make-request-for-quotation": write(
        "opportunity", BUYERS, body={"suppliers": ["Acme"]}
    ),
    "GET /opportunities/{name}/supplier-quotation-comparison": read("opportunity"),
    "POST /leads/{name}/make-opportunity": write("lead"),
    "GET /leads/{name}/comments": read("lead"),
    "POST /leads/{name}/comments": write("lead", body={"content": "Mine now"}),
    "POST /leads/{name}/make-customer": write("lead"),
    # merging (crm.services.merge): managers only; the body names a survivor that is not there
    **{
        f"POST /{path}/{{name}}/merge": write(kind, MANAGERS, body={"into": "Nobody"})
        for path, kind in (("leads", "lead"), ("customers", "customer"), ("contacts", "contact"))
    },
    "POST /quotations/{name}/submit": write("quotation"),
    "POST /quotations/{name}/cancel": write("quotation"),
    "POST /quotations/{name}/declare-lost": write("quotation", body=LOST),
    "POST /quotations/{name}/make-sales-order": write("quotation"),
    "GET /quotations/{name}/pdf": read("quotation"),
    "POST /sales-orders/{name}/submit": write("sales_order"),
    "POST /sales-orders/{name}/cancel": write("sales_order"),
    "POST /supplier-quotations/{name}/submit": write("supplier_quotation"),
    "POST /supplier-quotations/{name}/cancel": write("supplier_quotation"),
    "POST /requests-for-quotation/{name}/submit": write("rfq"),
    "POST /requests-for-quotation/{name}/cancel": write("rfq"),
    "POST /requests-for-quotation/{name}/make-supplier-quotation": write(
        "rfq", body={"supplier": "Acme"}
    ),
    "GET /supplier-groups": read(),
    "POST /supplier-groups": Rule(writes=BUYERS, body={"name": "Walked"}, gate=True),
    "DELETE /supplier-groups/{name}": write("supplier_group", gate=True),
    # one's own API tokens: every signed-in user (a role is not needed to hold a token)
    "GET /tokens": Rule(sees=STAFF | {"norole"}),
    "POST /tokens": Rule(writes=STAFF | {"norole"}),
    "DELETE /tokens/{id}": write("token"),
    # the audit trail: managers only; every other role is refused (403), the door being known
    "GET /audit-log": read(sees=MANAGERS, refusal=403),
    # the global search: everyone signed in, finding only what they see (the lead is the
    # most guarded of the documents it finds)
    "GET /search": listing("lead", query="?q=Walker"),
    "GET /deleted-documents": read(sees=MANAGERS, refusal=403),
    "GET /deleted-documents/{id}": read("deleted", refusal=403),
    # one's own notifications: another's answers 404; the list is one's own (nobody else sees
    # the walked one, the owner's); mark-all-read and the email choices touch only one's own
    "GET /notifications": Rule(listed="notification"),
    "POST /notifications/{id}/mark-read": write("notification"),
    "POST /notifications/mark-all-read": Rule(writes=SIGNED_IN),
    "GET /notifications/settings": read(),
    "PATCH /notifications/settings": Rule(writes=SIGNED_IN),
    # one's own calendar (every signed-in user, a role not needed); the feed's token is its
    # only credential, so it answers everyone who holds it
    "GET /events": read(sees=SIGNED_IN),
    "POST /events": Rule(writes=SIGNED_IN),
    "GET /events/{id}": read("event"),
    "PATCH /events/{id}": write("event", body={"subject": "Mine now"}),
    "DELETE /events/{id}": write("event"),
    # saved views: every signed-in user keeps their own; a private one is nobody else's (404)
    "GET /saved-views": Rule(listed="saved_view"),
    "POST /saved-views": Rule(writes=SIGNED_IN),
    "GET /saved-views/{name}": read("saved_view"),
    "PATCH /saved-views/{name}": write("saved_view", body={"label": "Mine now"}),
    "DELETE /saved-views/{name}": write("saved_view"),
    "GET /calendar/feed": read(sees=SIGNED_IN),
    "POST /calendar/feed/regenerate": Rule(writes=SIGNED_IN),
    "GET /calendar/{token}.ics": Rule(record="feed", public=True),
    "POST /deleted-documents/{id}/restore": Rule(
        record="deleted", sees=MANAGERS, writes=MANAGERS, refusal=403
    ),
    # assignment rules: managers only (others list none); assignments: one's own, managers all
    "GET /assignment-rules": read(),
    "POST /assignment-rules": Rule(writes=MANAGERS, gate=True, body={"bad": "shape"}),
    "POST /assignment-rules/dry-run": Rule(writes=MANAGERS, gate=True, body={"bad": "shape"}),
    "GET /assignment-rules/{name}": read("assignment_rule"),
    "PATCH /assignment-rules/{name}": Rule(
        record="assignment_rule", writes=MANAGERS, gate=True, body={"bad": "shape"}
    ),
    "DELETE /assignment-rules/{name}": Rule(record="assignment_rule", writes=MANAGERS, gate=True),
    "GET /assignments": read(),
    "POST /assignments": Rule(writes=SALES, gate=True, body={"bad": "shape"}),
    "GET /assignments/{id}": read("assignment"),
    "POST /assignments/{id}/close": write("assignment"),
    "POST /assignments/{id}/cancel": write("assignment"),
    # emails: who sees the document sees its thread, who may change it sends
    "GET /opportunities/{name}/communications": read("opportunity"),
    "POST /opportunities/{name}/communications": write("opportunity", body=EMAIL),
    "GET /leads/{name}/communications": read("lead"),
    "POST /leads/{name}/communications": write("lead", body=EMAIL),
    # email accounts and raw inbound mail: managers only, refused by role before anything else
    "GET /email-accounts": read(sees=MANAGERS, refusal=403),
    "POST /email-accounts": Rule(writes=MANAGERS, gate=True, body={"bad": "shape"}),
    "GET /email-accounts/{name}": read("email_account", refusal=403),
    "PATCH /email-accounts/{name}": Rule(
        record="email_account", writes=MANAGERS, gate=True, body={"bad": "shape"}
    ),
    "DELETE /email-accounts/{name}": Rule(record="email_account", writes=MANAGERS, gate=True),
    "POST /inbound-email": Rule(writes=MANAGERS, gate=True, body={"bad": "shape"}),
    # webhooks: managers only, refused by role before anything else
    "GET /webhooks": read(sees=MANAGERS, refusal=403),
    "POST /webhooks": Rule(writes=MANAGERS, gate=True, body={"bad": "shape"}),
    "GET /webhooks/{name}": read("webhook", refusal=403),
    "PATCH /webhooks/{name}": Rule(
        record="webhook", writes=MANAGERS, gate=True, body={"bad": "shape"}
    ),
    "DELETE /webhooks/{name}": Rule(record="webhook", writes=MANAGERS, gate=True),
    "GET /webhooks/{name}/deliveries": read("webhook", refusal=403),
    "POST /webhooks/{name}/test": Rule(record="webhook", writes=MANAGERS, gate=True),
    "POST /webhook-deliveries/{id}/retry": Rule(
        record="webhook_delivery", writes=MANAGERS, gate=True
    ),
    # reports: every signed-in user reads them, over the rows they may see (none without a
    # role); the targets: managers set them, a sales user reads their own
    **{f"GET /reports/{slug}": read() for slug in REPORTS},
    "GET /sales-targets": read(),
    "POST /sales-targets": Rule(
        writes=MANAGERS, gate=True, body={"user": "sales", "month": "2030-01-01", "amount": "5"}
    ),
    "DELETE /sales-targets/{id}": Rule(record="sales_target", writes=MANAGERS, gate=True),
}
# the API's own pages (not operations): the schema and its documentation are public (they hold
# no data), its root is nothing: what each answers to everyone (walked for the anonymous and the
# user without a role: the schema takes seconds to make)
API_PAGES = {"api/v1/openapi.json": 200, "api/v1/docs": 200, "api/v1/": 404}


# --- the pages: every URL pattern (outside the admin and the API) -------------------------------
@dataclass(frozen=True)
class Page:
    """A page: its GET (a read, or a form that needs the right to write) and its POST."""

    get: Rule | None = None
    post: Rule | None = None
    get_writes: bool = False  # the GET is a form: refused (403) to who sees but may not write


def page(record: str | None = None, *, listed: str | None = None, **kw: Any) -> Page:
    return Page(get=read(record, listed=listed, **kw))


def form(record: str | None, writes: frozenset[str] | None = None, **kw: Any) -> Page:
    rule = write(record, writes) if record else Rule(writes=writes or frozenset())
    return Page(get=replace(rule, **kw), post=rule, get_writes=True)


def action(record: str | None, writes: frozenset[str] | None = None, **kw: Any) -> Page:
    return Page(post=write(record, writes, **kw))


PAGE_RULES: dict[str, Page] = {
    "home": page(),
    "search": page(listed="lead", query="?q=Walker"),
    "healthz": Page(get=Rule(public=True, ok=503)),  # no worker heartbeat under the tests
    "login": Page(get=Rule(public=True, ok=302, ok_anonymous=200)),  # signed in: sent home
    "logout": Page(),  # walked by the accounts tests: it ends the walker's session
    "profile": Page(get=Rule(sees=STAFF | {"norole"})),
    # one's own password: every signed-in user (an empty form is shown again with its errors)
    "password_change": Page(get=Rule(sees=SIGNED_IN), post=Rule(writes=SIGNED_IN)),
    # the audit trail: managers only
    "audit_log": page(sees=MANAGERS, refusal=403),
    "deleted_documents": page(sees=MANAGERS, refusal=403),
    "deleted_document": page("deleted", refusal=403),
    "deleted_document_restore": Page(
        post=Rule(record="deleted", sees=MANAGERS, writes=MANAGERS, refusal=403)
    ),
    # imports: who may create something importable (sales: parties and documents; purchase
    # users and managers: items); one's own imports only (another's: 404)
    "import_start": Page(get=Rule(sees=STAFF, refusal=403), post=Rule(writes=STAFF, refusal=403)),
    "import_detail": page("import"),
    "import_check": action("import"),
    "import_run": action("import", body={"mode": "valid"}),
    "import_result": page("import"),
    # one's own tokens only: another's id is refused with a message on the profile page
    "revoke_token": action("token", refusal=302),
    # saved views (decision 0027): everyone saves their own; a private one is its owner's only
    # (another's: 404), whoever asks to rename, make default or delete it
    "saved_view_create": Page(post=Rule(writes=SIGNED_IN)),
    "saved_view_change": action("saved_view", body={"label": "Mine now"}),
    "saved_view_delete": action("saved_view"),
    # notifications: one's own (another's: 404)
    "notifications:list": page(listed="notification"),
    "notifications:bell": page(),
    "notifications:read_all": Page(post=Rule(writes=SIGNED_IN)),
    "notifications:settings": Page(post=Rule(writes=SIGNED_IN)),
    "notifications:open": action("notification"),
    "notifications:read": action("notification"),
    # CRM
    "crm:opportunity_list": page(listed="opportunity"),
    "crm:opportunity_board": page(listed="opportunity"),
    # the opportunity is named in the body; bulk leaves out what the user may not change and
    # answers with the list page (a message says what was done)
    "crm:opportunity_bulk": action(
        "opportunity", body={"action": "owner", "selected": "{O}"}, refusal=302
    ),
    "crm:opportunity_board_move": action("opportunity", body={"name": "{O}", "to": "Prospecting"}),
    "crm:opportunity_create": form(None, SALES),
    "crm:party_search": page(listed="lead", query="?opportunity_from=Lead&party_q=Ada"),
    "crm:item_search": page(),
    # rates are masters: a user without a role sees none (404, as for a missing rate)
    "crm:exchange_rate": page(query="?from_currency=EUR&to_currency=USD", sees=STAFF),
    "crm:opportunity_detail": page("opportunity"),
    "crm:opportunity_edit": form("opportunity"),
    "crm:opportunity_declare_lost": action("opportunity", body={"lost_reasons": "Walked"}),
    "crm:opportunity_reopen": action("opportunity"),
    "crm:opportunity_close": action("opportunity"),
    "crm:opportunity_assign": action("opportunity", body={"opportunity_owner": "other"}),
    "crm:opportunity_comment": action("opportunity", body={"content": "Mine now"}),
    "crm:opportunity_make_customer": action("opportunity"),
    "crm:opportunity_email": form("opportunity"),
    "crm:lead_email": form("lead"),
    "crm:email_attachment": page("attachment"),
    "crm:lead_list": page(listed="lead"),
    "crm:lead_create": form(None, SALES),
    "crm:lead_detail": page("lead"),
    "crm:lead_edit": form("lead"),
    "crm:lead_comment": action("lead", body={"content": "Mine now"}),
    "crm:lead_make_customer": action("lead"),
    "crm:lead_merge": form("lead", MANAGERS),
    "crm:customer_merge": form("customer", MANAGERS),
    "crm:customer_list": page(listed="customer"),
    "crm:customer_create": form(None, SALES),
    "crm:customer_detail": page("customer"),
    "crm:customer_edit": form("customer"),
    "crm:masters": page(),
    # reports (the rows each user may see); targets: managers set them
    "reports:index": page(),
    **{spec.url_name: page() for spec in REPORTS.values()},
    "reports:targets": Page(
        get=read(),
        post=Rule(
            writes=MANAGERS, gate=True, body={"user": "sales", "month": "2030-01", "amount": "5"}
        ),
    ),
    # selling
    "selling:quotation_list": page(listed="quotation"),
    "selling:quotation_create": form(None, SALES),
    "selling:quotation_detail": page("quotation"),
    "selling:quotation_edit": form("quotation"),
    "selling:quotation_delete": action("quotation"),
    "selling:quotation_action": action("quotation"),
    "selling:quotation_declare_lost": action("quotation", body={"lost_reasons": "Walked"}),
    "selling:quotation_make_sales_order": action("quotation"),
    "selling:quotation_pdf": page("quotation"),
    "selling:opportunity_make_quotation": action("opportunity"),
    "selling:sales_order_list": page(listed="sales_order"),
    "selling:sales_order_create": form(None, SALES),
    "selling:sales_order_detail": page("sales_order"),
    "selling:sales_order_edit": form("sales_order"),
    "selling:sales_order_delete": action("sales_order"),
    "selling:sales_order_action": action("sales_order"),
    # buying
    "buying:supplier_list": page(listed="supplier"),
    "buying:supplier_create": form(None, BUYERS),
    "buying:supplier_detail": page("supplier"),
    "buying:supplier_edit": form("supplier"),
    "buying:supplier_groups": Page(
        get=read(sees=STAFF, refusal=403),
        post=Rule(sees=STAFF, writes=BUYERS, body={"name": "Walked"}, gate=True, refusal=403),
    ),
    "buying:supplier_quotation_list": page(listed="supplier_quotation"),
    "buying:supplier_quotation_create": form(None, BUYERS),
    "buying:supplier_quotation_detail": page("supplier_quotation"),
    "buying:supplier_quotation_edit": form("supplier_quotation"),
    "buying:supplier_quotation_delete": action("supplier_quotation"),
    "buying:supplier_quotation_action": action("supplier_quotation"),
    "buying:rfq_list": page(listed="rfq"),
    "buying:rfq_create": form(None, BUYERS),
    "buying:rfq_detail": page("rfq"),
    "buying:rfq_edit": form("rfq"),
    "buying:rfq_delete": action("rfq"),
    "buying:rfq_action": action("rfq"),
    "buying:rfq_make_supplier_quotation": action("rfq", body={"supplier": "Acme"}),
    "buying:opportunity_make_supplier_quotation": form("opportunity", BUYERS),
    "buying:opportunity_make_request_for_quotation": form("opportunity", BUYERS),
    "buying:opportunity_comparison": page("opportunity"),
    # automation: the rules' pages are the managers' (403 to others); the assignment buttons
    "automation:rule_list": page(sees=MANAGERS, refusal=403),
    "automation:rule_create": Page(
        get=Rule(sees=MANAGERS, refusal=403), post=Rule(writes=MANAGERS, refusal=403)
    ),
    "automation:rule_edit": Page(
        get=Rule(record="assignment_rule", sees=MANAGERS, refusal=403),
        post=Rule(record="assignment_rule", sees=MANAGERS, writes=MANAGERS, refusal=403),
    ),
    "automation:rule_delete": Page(
        post=Rule(record="assignment_rule", sees=MANAGERS, writes=MANAGERS, refusal=403)
    ),
    "automation:dry_run": page(sees=MANAGERS, refusal=403),
    "automation:assignment_create": action(
        "opportunity",
        body={"reference_type": "Opportunity", "reference_name": "{O}", "allocated_to": "sales2"},
    ),
    "automation:assignment_close": action("assignment"),
    "automation:assignment_cancel": action("assignment"),
    # webhooks: the managers' (403 to others, before any lookup)
    "webhooks:webhook_list": Page(
        get=Rule(sees=MANAGERS, refusal=403),
        post=Rule(writes=MANAGERS, refusal=403, body={"name": "X", "url": "http://x.example"}),
    ),
    "webhooks:webhook_detail": page("webhook", refusal=403),
    "webhooks:webhook_action": Page(
        post=Rule(record="webhook", sees=MANAGERS, writes=MANAGERS, refusal=403)
    ),
    "webhooks:retry": Page(
        post=Rule(record="webhook_delivery", sees=MANAGERS, writes=MANAGERS, refusal=403)
    ),
    # the calendar: one's own events only
    "profile_time_zone": Page(post=Rule(writes=SIGNED_IN)),
    "activities:calendar": page(),
    "activities:event_new": form(None, SIGNED_IN),
    "activities:event_detail": page("event"),
    "activities:event_edit": form("event"),
    "activities:event_delete": action("event"),
    "activities:event_ics": page("event"),
    "activities:feed": page(),
    "activities:feed_regenerate": Page(post=Rule(writes=SIGNED_IN)),
    # activities: one's own list; planning (sales roles); done and cancel (who sees it)
    "activities:activity_list": page(),
    "activities:activity_plan": Page(
        post=Rule(
            writes=SALES,
            refusal=403,
            body={"activity_type": "Call", "summary": "Walked", "due_date": "2030-01-01"},
        )
    ),
    "activities:activity_done": action("activity"),
    "activities:activity_cancel": action("activity"),
}


# --- enumerating the doors ---------------------------------------------------------------------
def url_patterns(resolver: URLResolver | None = None, prefix: str = "", ns: str = ""):
    """(route, name with its namespace, the pattern) of every URL of the configuration."""
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from url_patterns(p, prefix + str(p.pattern), inner)
        else:
            assert isinstance(p, URLPattern)
            yield prefix + str(p.pattern), f"{ns}{p.name}" if p.name else "", p


@cache
def api_operations() -> list[tuple[str, str]]:
    """(method, path below /api/v1) of every operation of the OpenAPI document (made once: it
    takes seconds)."""
    schema = api.get_openapi_schema()
    return [
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in schema["paths"].items()
        for method in operations
    ]


def test_every_door_has_a_rule():
    operations = {f"{m} {p}" for m, p in api_operations()}
    assert sorted(operations - set(API_RULES)) == [], "API operations without a rule"
    assert sorted(set(API_RULES) - operations) == [], "rules for operations that do not exist"
    pages, api_routes = set(), set()
    for route, name, _pattern in url_patterns():
        if route.startswith("admin/"):
            continue
        if route.startswith("api/v1/"):
            api_routes.add(route)
            continue
        assert name, f"{route} has no name: give it one and a rule"
        pages.add(name)
    assert sorted(pages - set(PAGE_RULES)) == [], "pages without a rule"
    assert sorted(set(PAGE_RULES) - pages) == [], "rules for pages that do not exist"
    # every URL ninja serves is an operation of the document, or the document and its docs
    documented = {
        re.sub(r"\{(path:)?(\w+)\}", r"<\2>", p.removeprefix("/")) for _m, p in api_operations()
    }
    for route in api_routes:
        shape = re.sub(r"<(\w+:)?(\w+)>", r"<\2>", route.removeprefix("api/v1/"))
        assert shape in documented or route in API_PAGES, f"{route}: no operation, no rule"


# --- the world the walk runs in -----------------------------------------------------------------
@dataclass
class World:
    users: dict[str, User | None]
    names: dict[str, str]  # record kind -> the name (or id) that fills a path parameter


def build_world() -> World:
    owner = make_user("sales", SALES_USER)
    users: dict[str, User | None] = {
        "owner": owner,
        "other": make_user("sales2", SALES_USER),
        "manager": make_user("manager", SALES_MANAGER, SALES_USER),
        "purchaser": make_user("purchaser", PURCHASE_USER),
        "sysman": make_user("sysman", SYSTEM_MANAGER),
        "norole": make_user("outsider"),
        "anon": None,
    }
    purchaser = users["purchaser"]
    assert purchaser is not None
    make_item("W1", rate="10", name="Widget")
    customer = make_customer(owner, customer_name="Shared Customer Ltd")
    lead = make_lead(owner, lead_name="Ada Walker", company_name="Walker Engines")
    contact = Contact.objects.get(link_doctype="Lead", link_name=lead.name)
    items = [{"item_code": "W1", "qty": 2}]
    opportunity = make_opportunity(owner, customer, items=items, title="Walked deal")
    quotation = selling.make_quotation_from_opportunity(opportunity, by=owner)
    second = make_opportunity(owner, customer, items=items)
    submitted = selling.submit_quotation(
        selling.make_quotation_from_opportunity(second, by=owner), by=owner
    )
    order = selling.make_sales_order_from_quotation(submitted, by=owner)
    buying.create_supplier_group(name="Hardware", by=purchaser)
    supplier = buying.create_supplier(
        data={"supplier_name": "Acme", "supplier_group": "Hardware"}, by=purchaser
    )
    sq = buying.make_supplier_quotation_from_opportunity(
        opportunity, supplier=supplier.name, by=purchaser
    )
    rfq = buying.make_request_for_quotation_from_opportunity(
        opportunity, suppliers=[supplier.name], by=purchaser
    )
    exchange = CurrencyExchange.objects.create(
        from_currency_id="EUR", to_currency_id="USD", date="2020-01-01", exchange_rate=Decimal(1)
    )
    token, _raw = ApiToken.issue(owner, "walked")
    notify(owner, kind="mention", subject="Walked notification", key="walked")
    event = activities.create_event(
        data={"subject": "Walked event", "starts_on": "2030-01-01T09:00:00+00:00"}, by=owner
    )
    activity = todos.create_activity(
        data={
            "activity_type": "Call",
            "summary": "Walked activity",
            "due_date": "2030-01-01",
            "reference_type": "Lead",
            "reference_name": lead.name,
        },
        by=owner,
    )
    view = saved_views.create_view(
        data={"label": "Walked view", "resource": "leads", "query": "status=Open"}, by=owner
    )
    upload = ImportJob.objects.create(
        user=owner, doctype="Lead", filename="walked.csv", header=["Person Name"], rows=b"W\n"
    )
    gone = make_opportunity(owner, customer, items=items, title="Deleted deal")
    crm.delete_opportunity(gone, version=None, by=owner)
    names = {
        "opportunity": opportunity.name,
        "lead": lead.name,
        "contact": contact.name,
        "quotation": quotation.name,
        "sales_order": order.name,
        "customer": customer.name,
        "supplier": supplier.name,
        "supplier_quotation": sq.name,
        "rfq": rfq.name,
        "supplier_group": "Hardware",
        "exchange": str(exchange.pk),
        "token": str(token.pk),
        "event": str(event.pk),
        "activity": activity.name,
        "saved_view": str(view.pk),
        "import": str(upload.pk),
        "feed": activities.feed_token_of(owner).token,
        "deleted": str(DeletedDocument.objects.get(name=gone.name).pk),
        "notification": str(Notification.objects.get(key="walked").pk),
        "items": "W1",
    }
    models = {
        "currencies": "masters.Currency",
        "uoms": "masters.UOM",
        "territories": "masters.Territory",
        "customer-groups": "masters.CustomerGroup",
        "industries": "masters.Industry",
        "item-groups": "masters.ItemGroup",
        "opportunity-types": "crm.OpportunityType",
        "lead-sources": "crm.LeadSource",
        "campaigns": "crm.Campaign",
        "sales-stages": "crm.SalesStage",
        "lost-reasons": "crm.OpportunityLostReason",
        "competitors": "crm.Competitor",
        "activity-types": "activities.ActivityType",
    }
    for path, label in models.items():
        model = apps.get_model(label)
        row = model.objects.order_by("pk").first()
        if row is None:
            row = model.objects.create(name=f"Walked {path}")
        names[path] = str(row.pk)
    OpportunityLostReason.objects.get_or_create(name="Walked")
    assignment = automation.assign(opportunity, user=owner, by=users["manager"], reason="Walked")
    names["assignment"] = str(assignment.pk)
    automation.create_assignment_rule(
        data={
            "name": "Walked rule",
            "document_type": "Opportunity",
            "disabled": True,
            "assign_condition": {
                "match": "all",
                "conditions": [{"field": "status", "op": "eq", "value": "Open"}],
            },
            "rule": "Round Robin",
            "users": ["sales"],
        },
        by=owner,
    )
    names["assignment_rule"] = "Walked rule"
    EmailAccount.objects.create(name="Walked account", email_id="walked@example.com")
    names["email_account"] = "Walked account"
    webhook = Webhook.objects.create(
        name="Walked hook", url="https://example.com/hook", events=["ping"], secret_encrypted="x"
    )
    names["webhook"] = webhook.name
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event="ping", payload={}, status=WebhookDelivery.Status.FAILED
    )
    names["webhook_delivery"] = str(delivery.pk)
    comms.queue_email(
        reference_doctype="Opportunity",
        reference_name=opportunity.name,
        recipients=["walked@example.com"],
        subject="Walked",
        content="Walked",
        attachments=[comms.OutgoingAttachment("walked.txt", "text/plain", b"walked")],
        by=owner,
    )
    names["attachment"] = str(CommunicationAttachment.objects.get().pk)
    target = SalesTarget.objects.create(user=owner, month="2030-01-01", amount=Decimal(100))
    names["sales_target"] = str(target.pk)
    return World(users=users, names=names)


# the tables a refused write could change, row by row; every other table is counted
WATCHED = (
    "crm_opportunity",
    "crm_lead",
    "crm_customer",
    "crm_contact",
    "crm_crmsettings",
    "selling_quotation",
    "selling_salesorder",
    "buying_supplier",
    "buying_supplierquotation",
    "buying_requestforquotation",
    "masters_currency",
    "masters_currencyexchange",
    "masters_item",
    "automation_assignment",
    "notifications_notification",
    "automation_assignmentrule",
    "activities_event",
    "activities_calendarfeedtoken",
    "activities_activity",
    "activities_activitytype",
    "reports_salestarget",
    "webhooks_webhook",
    "webhooks_webhookdelivery",
)


def snapshot() -> dict[str, Any]:
    """What a refused write must leave as it is: the rows of the documents, settings and the
    masters a write names, and the number of rows of every table (history, comments, items...)."""
    with connection.cursor() as cursor:
        tables = [
            t
            for t in sorted(connection.introspection.table_names())
            if not t.startswith(("django_session", "accounts_apitoken"))  # signing in
        ]
        counts = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
        cursor.execute(counts)
        state: dict[str, Any] = {"counts": cursor.fetchall()}
        for table in WATCHED:
            cursor.execute(f'SELECT * FROM "{table}"')
            state[table] = sorted(map(repr, cursor.fetchall()))
    return state


# --- walking ------------------------------------------------------------------------------------
Outcome = tuple[str, str]  # (door, what went wrong)


def _fill(path: str, rule: Rule, world: World) -> str:
    if rule.record is None:
        return path
    name = world.names[rule.record]
    return re.sub(r"\{[^}]+\}|<[^>]+>", name, path, count=1)


def _expect_write(role: str, rule: Rule) -> int | None:
    """The refusal a write must get, or None when the role may do it (not walked)."""
    if role in rule.writes:
        return None
    if rule.refusal is not None:
        return rule.refusal
    if rule.gate or rule.record is None:
        return 403
    return 403 if role in rule.sees else 404


def _client(world: World, role: str, *, api_call: bool) -> Any:
    user = world.users[role]
    if api_call:
        client = Client()
        if user is not None:
            _token, raw = ApiToken.issue(user, "walk")
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def walk_api(world: World, role: str) -> list[Outcome]:
    problems: list[Outcome] = []
    client = _client(world, role, api_call=True)
    for method, path in api_operations():
        rule = API_RULES[f"{method} {path}"]
        url = "/api/v1" + _fill(path, rule, world)
        door = f"{method} {url}"
        if method == "GET":
            if rule.public:
                expected = rule.ok
            else:
                expected = 401 if role == "anon" else _expect_read(role, rule)
            r = client.get(url + rule.query)
            if r.status_code != expected:
                problems.append((door, f"{r.status_code} != {expected}: {r.content[:200]!r}"))
            elif rule.listed and r.status_code == 200:
                problems += _check_listed(door, r.content, role, rule, world)
            continue
        expected_write = 401 if role == "anon" else _expect_write(role, rule)
        if expected_write is None:
            continue
        before = snapshot()
        call = getattr(client, method.lower())
        r = call(url, json.dumps(rule.body), content_type="application/json")
        if r.status_code != expected_write:
            problems.append((door, f"{r.status_code} != {expected_write}: {r.content[:200]!r}"))
        if snapshot() != before:
            problems.append((door, "a refused write changed data"))
    return problems


def _expect_read(role: str, rule: Rule) -> int:
    if role in rule.sees:
        return rule.ok
    return rule.refusal or 404


# what shows a listed record whose key is a number (found anywhere in a page): its text
LISTED_TEXT = {"notification": "Walked notification", "saved_view": "Walked view"}


def _check_listed(door: str, content: bytes, role: str, rule: Rule, world: World) -> list[Outcome]:
    assert rule.listed is not None
    name = LISTED_TEXT.get(rule.listed) or world.names[rule.listed]
    shown = name.encode() in content
    if shown != (role in SEES[rule.listed]):
        return [(door, f"{name} {'listed' if shown else 'not listed'}")]
    return []


def walk_pages(world: World, role: str) -> list[Outcome]:
    problems: list[Outcome] = []
    client = _client(world, role, api_call=False)
    for route, expected_status in API_PAGES.items() if role in ("anon", "norole") else ():
        r = client.get("/" + route)
        if r.status_code != expected_status:
            problems.append((f"GET /{route}", f"{r.status_code} != {expected_status}"))
    for route, name, _pattern in url_patterns():
        if route.startswith(("admin/", "api/")) or name == "logout":
            continue
        rules = PAGE_RULES[name]
        if rules.get is not None:
            rule = rules.get
            url = "/" + _fill(route, rule, world).replace("<slug:action>", "submit")
            if rule.public:
                expected_public = rule.ok
                if role == "anon" and rule.ok_anonymous is not None:
                    expected_public = rule.ok_anonymous
                r = client.get(url)
                if r.status_code != expected_public:
                    problems.append((f"GET {url}", f"{r.status_code} != {expected_public}"))
            elif role == "anon":
                r = client.get(url + rule.query)
                if r.status_code != 302 or "/accounts/login/" not in r["Location"]:
                    problems.append((f"GET {url}", f"anonymous: {r.status_code}"))
            else:
                expected = _expect_page_get(role, rule, rules.get_writes)
                r = client.get(url + rule.query)
                if r.status_code != expected:
                    problems.append((f"GET {url}", f"{r.status_code} != {expected}"))
                elif rule.listed and r.status_code == 200:
                    problems += _check_listed(f"GET {url}", r.content, role, rule, world)
        if rules.post is not None:
            rule = rules.post
            url = "/" + _fill(route, rule, world).replace("<slug:action>", "submit")
            refusal = 302 if role == "anon" else _expect_write(role, rule)
            if refusal is None:
                continue
            body = {k: v.replace("{O}", world.names["opportunity"]) for k, v in rule.body.items()}
            before = snapshot()
            r = client.post(url, body)
            status = r.status_code
            if name == "crm:opportunity_board_move" and status == 200:
                status = {"not_found": 404, "permission_denied": 403}.get(r.json().get("code"), 200)
            if status != refusal:
                problems.append((f"POST {url}", f"{status} != {refusal}"))
            if snapshot() != before:
                problems.append((f"POST {url}", "a refused write changed data"))
    return problems


def _expect_page_get(role: str, rule: Rule, writes: bool) -> int:
    if not writes:
        return _expect_read(role, rule)
    if role in rule.writes:
        return 200
    if rule.record is None:
        return 403
    return 403 if role in rule.sees else 404


def walk_admin(world: World, role: str) -> list[Outcome]:
    """The admin is for staff only: every walker (none is staff) is sent to its login."""
    client = _client(world, role, api_call=False)
    urls = [reverse("admin:index")] + [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
    ]
    problems = []
    for url in urls:
        r = client.get(url)
        if r.status_code != 302 or "/admin/login/" not in r["Location"]:
            problems.append((f"GET {url}", f"{r.status_code}: not sent to the admin login"))
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_walk(role):
    world = build_world()
    problems = walk_api(world, role) + walk_pages(world, role) + walk_admin(world, role)
    assert not problems, "\n".join(f"{door}: {what}" for door, what in problems)
