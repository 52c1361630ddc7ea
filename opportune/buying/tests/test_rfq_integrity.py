"""One live supplier quotation per request for quotation and supplier: the database says so, so
two requests at the same moment cannot both make one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction

from opportune.buying import services
from opportune.buying.models import SupplierQuotation
from opportune.core.errors import ConflictError
from opportune.testing import THREADS, make_item, make_opportunity, run_in_threads


def _submitted_rfq(sales, purchaser):
    make_item("W1", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W1", "qty": 3}])
    for name in ("Acme", "Bolt"):
        services.create_supplier(data={"supplier_name": name}, by=purchaser)
    rfq = services.make_request_for_quotation_from_opportunity(
        opp, suppliers=["Acme", "Bolt"], by=purchaser
    )
    return services.submit_request_for_quotation(rfq, version=rfq.version, by=purchaser)


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_quotation_for_one_supplier(sales, purchaser):
    rfq = _submitted_rfq(sales, purchaser)
    first = services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=purchaser)
    clone = SupplierQuotation.objects.get(pk=first.pk)
    clone.name = "PUR-SQTN-CLONE"
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save(force_insert=True)
    # another supplier, and the same supplier once the first answer is cancelled, are fine
    services.make_supplier_quotation_from_rfq(rfq, supplier="Bolt", by=purchaser)
    with pytest.raises(ConflictError, match="Acme' already has a quotation"):
        services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=purchaser)
    submitted = services.submit_supplier_quotation(first, version=first.version, by=purchaser)
    services.cancel_supplier_quotation(submitted, version=submitted.version, by=purchaser)
    again = services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=purchaser)
    assert list(
        SupplierQuotation.objects.filter(request_for_quotation=rfq, supplier_id="Acme")
        .values_list("name", "docstatus")
        .order_by("creation")
    ) == [
        (first.name, 2),
        (again.name, 0),
    ]


@pytest.mark.django_db
def test_a_request_for_quotation_changes_without_its_items(sales, purchaser, api_as):
    make_item("W1", rate="10")
    opp = make_opportunity(sales, items=[{"item_code": "W1", "qty": 3}])
    services.create_supplier(data={"supplier_name": "Acme"}, by=purchaser)
    rfq = services.make_request_for_quotation_from_opportunity(
        opp, suppliers=["Acme"], by=purchaser
    )
    r = api_as(purchaser).patch(
        f"requests-for-quotation/{rfq.name}",
        {"version": rfq.version, "message_for_supplier": "Prices by Friday, please."},
    )
    assert r.status_code == 200, r.content
    assert r.json()["message_for_supplier"] == "Prices by Friday, please."
    assert [(i["item_code"], i["qty"]) for i in r.json()["items"]] == [("W1", "3.000000")]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL (SQLite serialises every writer)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_make_one_quotation_per_supplier(sales, purchaser):
    rfq = _submitted_rfq(sales, purchaser)
    refused: list[str] = []

    def work(thread_no: int) -> list[str]:
        by = User.objects.get(pk=purchaser.pk)
        try:
            made = services.make_supplier_quotation_from_rfq(rfq, supplier="Acme", by=by)
        except ConflictError as exc:
            refused.append(exc.message)
            return []
        return [made.name]

    names = run_in_threads(work)

    assert len(names) == 1
    assert len(refused) == THREADS - 1
    assert set(refused) == {f"Supplier 'Acme' already has a quotation for {rfq.name}."}
    assert (
        list(
            SupplierQuotation.objects.filter(request_for_quotation=rfq).values_list(
                "name", flat=True
            )
        )
        == names
    )
