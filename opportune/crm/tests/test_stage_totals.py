"""The board's summary (crm.StageTotal, decision 0034) equals a GROUP BY over the opportunities
after writes of every kind: it is kept by triggers in the transaction of each write, so a writer
that goes around the services (a bulk UPDATE, raw SQL, an import, the auto-close job, a merge)
is counted too. Run on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse

from opportune.crm import services as crm
from opportune.crm.models import Opportunity, OpportunityLostReason, StageTotal
from opportune.crm.services.auto_close import close_silent_opportunities
from opportune.crm.stage_totals import compact_stage_totals, rebuild_stage_totals, stage_totals
from opportune.selling.models import SalesOrder
from opportune.testing import (
    at,
    client_for,
    make_customer,
    make_item,
    make_lead,
    make_opportunity,
    make_rate,
    make_user,
    seed_documents,
)

pytestmark = pytest.mark.django_db
S = Opportunity.Status
Key = tuple[str | None, str]
# SQLite keeps decimals as binary floats (its live GROUP BY too): equal to a millionth there
TOLERANCE = Decimal(0) if connection.vendor == "postgresql" else Decimal("0.000001")


def truth() -> dict[Key, tuple[int, Decimal, Decimal]]:
    """What a GROUP BY over the table answers, with the weighted amount summed in Python from
    each row's exact values (the reference the summary must equal)."""
    found: dict[Key, list] = {}
    rows = Opportunity.objects.values_list(
        "sales_stage_id", "status", "base_opportunity_amount", "probability"
    )
    for stage, status, amount, probability in rows:
        total = found.setdefault((stage, status), [0, Decimal(0), Decimal(0)])
        total[0] += 1
        total[1] += amount
        total[2] += amount * probability / 100
    return {key: (c, a, w) for key, (c, a, w) in found.items()}


def summary() -> dict[Key, tuple[int, Decimal, Decimal]]:
    rows = StageTotal.objects.values("sales_stage", "status").annotate(
        c=Sum("count"), a=Sum("amount"), w=Sum("weighted")
    )
    return {
        (r["sales_stage"], r["status"]): (int(r["c"]), Decimal(r["a"]), Decimal(r["w"]))
        for r in rows
        if r["c"]
    }


def assert_summary_exact() -> None:
    expected, got = truth(), summary()
    assert set(got) == set(expected), (got, expected)
    for key, (count, amount, weighted) in expected.items():
        c, a, w = got[key]
        assert c == count, key
        assert abs(a - amount) <= TOLERANCE, (key, a, amount)
        assert abs(w - weighted) <= TOLERANCE, (key, w, weighted)


def test_every_kind_of_write_keeps_the_summary_exact(manager, sales, api_as):
    make_rate("USD", "INR", "83.25")
    make_item("W2", rate="19.99")
    reasons = [OpportunityLostReason.objects.create(name="Price").name]
    # created by the service (and by the API with items), in two currencies, at odd amounts
    a = make_opportunity(
        sales, sales_stage="Prospecting", opportunity_amount="999", probability="33"
    )
    b = make_opportunity(
        sales,
        make_customer(sales, customer_name="Other"),
        sales_stage="Qualification",
        currency="USD",
        opportunity_amount="1234.5678",
        probability="12.5",
    )
    c = make_opportunity(sales, make_lead(sales, lead_name="Ada"), opportunity_amount="10")
    d = make_opportunity(sales, make_customer(sales, customer_name="Third"))
    r = api_as(sales).post(
        "opportunities",
        {
            "opportunity_from": "Customer",
            "party_name": "Other",
            "items": [{"item_code": "W2", "qty": 3}],
            "probability": 70,
        },
    )
    assert r.status_code == 201, r.content
    assert_summary_exact()

    # updates: stage, amount, probability, a field the summary does not hold
    a = crm.update_opportunity(
        a, data={"sales_stage": "Qualification"}, version=a.version, by=sales
    )
    b = crm.update_opportunity(b, data={"opportunity_amount": "7.77"}, version=b.version, by=sales)
    c = crm.update_opportunity(c, data={"probability": "66.66"}, version=c.version, by=sales)
    before = StageTotal.objects.count()
    d = crm.update_opportunity(d, data={"to_discuss": "price"}, version=d.version, by=sales)
    assert StageTotal.objects.count() == before  # nothing the board shows changed: no delta
    assert_summary_exact()

    # the status engine: by hand, lost, reopened, quotation and order (Converted)
    a = crm.set_opportunity_status(a, status=S.REPLIED, version=a.version, by=sales)
    b = crm.declare_opportunity_lost(b, lost_reasons=reasons, version=b.version, by=sales)
    b = crm.reopen_opportunity(b, version=b.version, by=sales)
    c = crm.set_opportunity_status(c, status=S.CLOSED, version=c.version, by=sales)
    root = make_user("root", is_superuser=True)
    seed_documents(root)  # a quotation submitted, its sales order made: the opportunity follows
    order = SalesOrder.objects.get()
    assert api_as(root).post(f"sales-orders/{order.name}/submit").status_code == 200
    assert Opportunity.objects.filter(status=S.CONVERTED).exists()
    assert_summary_exact()

    # the board's move, the list's bulk actions, a delete
    client_for(manager).post(
        reverse("crm:opportunity_board_move"), {"name": d.name, "to": "Proposal/Price Quote"}
    )
    crm.bulk_update_opportunities(
        [(a, None), (d, None)], action="stage", value="Negotiation/Review", by=manager
    )
    crm.bulk_update_opportunities([(c, None)], action="close", by=manager)
    crm.delete_opportunity(Opportunity.objects.get(pk=d.pk), version=None, by=manager)
    assert_summary_exact()

    # the auto-close job (one UPDATE for a batch, PostgreSQL; row by row on SQLite)
    with time_machine.travel(at(2026, 11, 1), tick=False):
        silent = make_opportunity(sales, make_customer(sales, customer_name="Silent"))
        crm.set_opportunity_status(silent, status=S.REPLIED, version=silent.version, by=sales)
    assert close_silent_opportunities(now=at(2026, 12, 1)).closed >= 1
    assert_summary_exact()

    # writers that go around the services altogether: a queryset UPDATE, a bulk insert, raw SQL
    Opportunity.objects.filter(status=S.OPEN).update(probability=Decimal("41.5"))
    template = Opportunity.objects.get(pk=a.pk)
    template.pk, template.name = "RAW-1", "RAW-1"
    Opportunity.objects.bulk_create([template])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_opportunity SET sales_stage_id = NULL, base_opportunity_amount = 5"
            " WHERE name = %s",
            ["RAW-1"],
        )
    Opportunity.objects.filter(pk="RAW-1").delete()
    assert_summary_exact()

    # a write rolled back leaves nothing behind
    with pytest.raises(RuntimeError), transaction.atomic():
        Opportunity.objects.update(base_opportunity_amount=1)
        raise RuntimeError
    assert_summary_exact()


def test_an_import_and_a_merge_keep_the_summary_exact(manager, sales, api_as):
    from opportune.core.tests.test_imports import check, csv_file, upload

    lead = make_lead(sales, lead_name="Grace")
    client = client_for(sales)
    job = upload(
        client,
        "Opportunity",
        csv_file(
            [
                ["Opportunity From", "Party", "Sales Stage", "Opportunity Amount", "Probability"],
                ["Lead", lead.name, "Prospecting", "100.5", "10"],
                ["Lead", lead.name, "", "3", "99"],
            ]
        ),
    )
    check(client, job)
    client.post(f"/import/{job.pk}/run/", {"mode": "valid"})
    assert Opportunity.objects.count() == 2
    assert_summary_exact()

    loser = make_customer(sales, customer_name="Acme Inc")
    survivor = make_customer(sales, customer_name="Acme Ltd")
    make_opportunity(sales, loser, opportunity_amount="50", sales_stage="Prospecting")
    r = api_as(manager).post(
        f"customers/{loser.name}/merge", {"into": survivor.name, "version": survivor.version}
    )
    assert r.status_code == 200, r.content
    assert_summary_exact()


def test_compaction_folds_the_deltas_and_rebuild_agrees(sales):
    first = make_opportunity(sales, sales_stage="Prospecting", opportunity_amount="10")
    for stage in ("Qualification", "Needs Analysis", "Prospecting"):
        first = crm.update_opportunity(
            first, data={"sales_stage": stage}, version=first.version, by=sales
        )
    gone = make_opportunity(sales, make_customer(sales, customer_name="Gone"))
    crm.delete_opportunity(gone, version=None, by=sales)
    assert StageTotal.objects.count() > 1

    compact_stage_totals()

    assert StageTotal.objects.count() == 1  # one key left; the deleted one's nets to nothing
    assert_summary_exact()
    compact_stage_totals()  # twice is harmless
    assert_summary_exact()
    assert rebuild_stage_totals() == 1
    assert_summary_exact()
    assert stage_totals([S.OPEN], "sales_stage") == {
        "Prospecting": {"count": 1, "amount": Decimal(10), "weighted": Decimal(1)}  # stage's 10 %
    }


def test_the_board_shows_the_same_figures_for_a_manager_and_for_a_rep(manager, sales, sales2):
    make_opportunity(sales, sales_stage="Prospecting", opportunity_amount="999", probability="33")
    make_opportunity(
        sales2,
        make_customer(sales2, customer_name="Theirs"),
        sales_stage="Prospecting",
        opportunity_amount="1",
        probability="100",
    )
    lost = make_opportunity(
        sales, make_customer(sales, customer_name="L"), sales_stage="Prospecting"
    )
    crm.declare_opportunity_lost(
        lost,
        lost_reasons=[OpportunityLostReason.objects.create(name="Price").name],
        version=lost.version,
        by=sales,
    )

    def column(user, **query) -> tuple[str, str, str]:
        page = client_for(user).get(reverse("crm:opportunity_board"), query)
        col = next(c for c in page.context["columns"] if c["key"] == "Prospecting")
        total = col["total"]
        return (str(total["count"]), f"{total['amount']:.2f}", f"{total['weighted']:.4f}")

    # the manager's comes from the summary, the rep's from the rows the rep sees
    assert column(manager) == ("2", "1000.00", "330.6700")
    assert column(sales) == ("1", "999.00", "329.6700")
    assert column(sales2) == ("1", "1.00", "1.0000")
    # a filter other than the status: the manager's figures are summed over the filtered rows
    assert column(manager, party_name="Theirs") == ("1", "1.00", "1.0000")
    assert column(manager, status="Lost") == ("1", "0.00", "0.0000")
    page = client_for(manager).get(reverse("crm:opportunity_board"), {"group_by": "status"})
    totals = {c["key"]: c["total"]["count"] for c in page.context["columns"]}
    assert (totals["Open"], totals["Lost"]) == (2, 1)


def test_a_move_answers_the_columns_from_the_summary(manager, sales):
    opp = make_opportunity(sales, sales_stage="Prospecting", opportunity_amount="100")
    r = client_for(manager).post(
        reverse("crm:opportunity_board_move"),
        {"name": opp.name, "version": opp.version, "to": "Qualification"},
    )
    body = r.json()
    assert body["ok"], body
    # the stage's own probability (Qualification: 20 %) came with the move
    assert body["columns"] == {
        "Qualification": {"count": 1, "amount": "100.00", "weighted": "20.00"}
    }
