"""GET one opportunity, lean (issue 12, core/api_read.py): the same answer, byte for byte, as
the joined read it replaced, for whoever reads it; the same 404 for what one may not see."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from opportune.core import api_documents
from opportune.crm import services as crm
from opportune.crm.models import Competitor
from opportune.testing import make_item, make_opportunity


@pytest.fixture
def opportunities(sales, sales2, manager):
    make_item("W1", rate="10")
    make_item("W2", rate="3", uom="Kg")
    for name in ("Acme", "Zenith", "Bolt"):
        Competitor.objects.create(name=name)
    plain = make_opportunity(sales)
    full = make_opportunity(
        sales,
        items=[{"item_code": "W2", "qty": Decimal("1.5")}, {"item_code": "W1", "qty": 2}] * 3,
        opportunity_owner="sales2",
        contact_by="manager",
        currency="USD",
    )
    lost = make_opportunity(sales2, items=[{"item_code": "W1"}])
    crm.declare_opportunity_lost(
        lost,
        lost_reasons=["Too expensive", "Timing"],
        competitors=["Zenith", "Acme"],
        detail="Budget cut",
        version=1,
        by=sales2,
    )
    return [plain, full, lost]


def _answers(api_as, users, names):
    out = []
    for user in users:
        api = api_as(user)
        for name in [*names, "OPP-NONE", "bad\x00name"]:
            r = api.get(f"opportunities/{name}")
            out.append((user.username, name, r.status_code, r.headers.get("ETag"), r.content))
    return out


def test_the_lean_read_answers_as_the_joined_read(
    opportunities, manager, sales, sales2, purchaser, outsider, api_as, monkeypatch
):
    users = [manager, sales, sales2, purchaser, outsider]
    names = [o.name for o in opportunities]
    lean = _answers(api_as, users, names)
    monkeypatch.setattr(api_documents, "read_one", lambda *args: None)  # the joined read
    joined = _answers(api_as, users, names)
    assert lean == joined
    statuses = {(user, name): status for user, name, status, _etag, _body in lean}
    # a rep sees their own (and those they own), not a colleague's; the outsider nothing
    assert statuses["sales", names[0]] == 200 and statuses["sales", names[2]] == 404
    assert statuses["manager", names[2]] == statuses["purchaser", names[2]] == 200
    assert statuses["outsider", names[0]] == 404
    bodies = [json.loads(body) for _user, _name, status, _etag, body in lean if status == 200]
    assert ["Timing", "Too expensive"] in [b["lost_reasons"] for b in bodies]
    assert ["Acme", "Zenith"] in [b["competitors"] for b in bodies]
    assert {"sales2"} < {b["opportunity_owner"] for b in bodies}
    assert 6 in [len(b["items"]) for b in bodies]


def test_without_a_token_is_401(opportunities, api_as):
    assert api_as(None).get(f"opportunities/{opportunities[0].name}").status_code == 401
