"""The buying pages render and call the services (Django's test client)."""

from __future__ import annotations

import pytest

from opportune.buying import services as buying
from opportune.testing import client_for, make_item, make_opportunity

pytestmark = pytest.mark.django_db


def test_buying_pages(sales, purchaser):
    make_item("W1", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W1", "qty": 2}])
    for n in ("Acme", "Bolt"):
        buying.create_supplier(data={"supplier_name": n}, by=purchaser)
    c = client_for(purchaser)
    r = c.post(
        f"/buying/opportunities/{opp.name}/make-request-for-quotation/",
        {"suppliers": ["Acme", "Bolt"]},
    )
    rfq = opp.requests_for_quotation.get()
    assert r["Location"] == f"/buying/requests-for-quotation/{rfq.name}/"
    c.post(f"/buying/requests-for-quotation/{rfq.name}/submit/", {"version": rfq.version})
    r = c.post(
        f"/buying/requests-for-quotation/{rfq.name}/make-supplier-quotation/", {"supplier": "Acme"}
    )
    sq = rfq.supplier_quotations.get()
    assert r["Location"] == f"/buying/supplier-quotations/{sq.name}/edit/"
    assert c.get(r["Location"]).status_code == 200
    r = c.post(f"/buying/opportunities/{opp.name}/make-supplier-quotation/", {"supplier": "Bolt"})
    assert r.status_code == 302
    for url in (
        f"/buying/requests-for-quotation/{rfq.name}/",
        f"/buying/supplier-quotations/{sq.name}/",
        "/buying/supplier-quotations/",
        "/buying/requests-for-quotation/",
        "/buying/suppliers/",
        "/buying/suppliers/Acme/",
        "/buying/suppliers/Acme/edit/",
        "/buying/supplier-groups/",
        "/buying/suppliers/new/",
        f"/buying/opportunities/{opp.name}/supplier-quotation-comparison/",
        f"/buying/opportunities/{opp.name}/make-supplier-quotation/",
        "/buying/requests-for-quotation/new/",
        "/buying/supplier-quotations/new/",
    ):
        assert c.get(url).status_code == 200, url
    assert (
        client_for(sales)
        .post(f"/buying/opportunities/{opp.name}/make-supplier-quotation/", {"supplier": "Bolt"})
        .status_code
        == 403
    )
