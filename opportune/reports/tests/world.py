"""A small pipeline whose report figures are computed by hand in the tests (and in the browser
journey). Every date is fixed (February-April 2026), whatever day the tests run.

- Leads L1 (2026-02-01 10:00) and L2 (2026-02-03 10:00), made by ``sales``; L2 became a
  customer on 2026-02-13 10:00 (10 days).
- A: from L1, owner sales, Prospecting, Open, 1000 at 50 %, closing 2026-03-10, made 2026-02-03
  10:00 (2 days after its lead), first response 30 min (10 business).
- B: owner sales, Qualification, Replied, 2000 at 25 %, closing 2026-03-20, made 2026-02-01
  12:00, first response 90 (60 business).
- C: made and owned by sales2, Prospecting, Open, 4000 at 10 %, closing 2026-04-05, made
  2026-02-02 12:00, first response 600 (300 business).
- D: owner sales, Qualification, Lost 2026-02-15 for Too expensive and Timing (competitor
  Rival Inc), 500.
- E: made and owned by sales2, Proposal/Price Quote, Lost 2026-03-03 for Too expensive, 700.
- F: owner sales, 1200 (12 x W1 at 100), made 2026-02-05 10:00; its quotation (made
  2026-02-09 10:00, 4 days later) submitted and ordered: the sales order of 2026-03-15, 1200,
  makes F Converted.
- G: owner sales, 300 (3 x W1); its quotation submitted then declared lost 2026-03-10 for
  No budget: G is lost with it.
- Target of sales for 2026-03: 2000.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from opportune.crm import services as crm
from opportune.crm.models import Competitor, Customer, Lead, Opportunity
from opportune.reports.models import SalesTarget
from opportune.selling import services as selling
from opportune.selling.models import Quotation, SalesOrder
from opportune.testing import make_customer, make_item, make_lead, make_opportunity


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return timezone.make_aware(datetime(y, m, d, h))


def build(sales, sales2) -> dict:
    make_item("W1", rate="100")
    Competitor.objects.get_or_create(name="Rival Inc")
    l1 = make_lead(sales, lead_name="Lead One", email_id="one@l.example")
    l2 = make_lead(sales, lead_name="Lead Two", email_id="two@l.example")
    customer = make_customer(sales, customer_name="Acme")
    other_customer = make_customer(sales2, customer_name="Bolt")

    def opp(by, party, **data):
        return make_opportunity(by, party, transaction_date=date(2026, 1, 20), **data)

    a = opp(
        sales,
        l1,
        opportunity_owner="sales",
        sales_stage="Prospecting",
        opportunity_amount="1000",
        probability="50",
        expected_closing=date(2026, 3, 10),
    )
    b = opp(
        sales,
        customer,
        opportunity_owner="sales",
        sales_stage="Qualification",
        opportunity_amount="2000",
        probability="25",
        expected_closing=date(2026, 3, 20),
    )
    c = opp(
        sales2,
        other_customer,
        opportunity_owner="sales2",
        sales_stage="Prospecting",
        opportunity_amount="4000",
        probability="10",
        expected_closing=date(2026, 4, 5),
    )
    d = opp(
        sales,
        customer,
        opportunity_owner="sales",
        sales_stage="Qualification",
        opportunity_amount="500",
    )
    e = opp(
        sales2,
        other_customer,
        opportunity_owner="sales2",
        sales_stage="Proposal/Price Quote",
        opportunity_amount="700",
    )
    f = opp(
        sales,
        customer,
        opportunity_owner="sales",
        sales_stage="Negotiation/Review",
        items=[{"item_code": "W1", "qty": 12}],
    )
    g = opp(
        sales,
        customer,
        opportunity_owner="sales",
        sales_stage="Proposal/Price Quote",
        items=[{"item_code": "W1", "qty": 3}],
    )
    crm.update_opportunity(b, data={"status": "Replied"}, version=b.version, by=sales)
    crm.declare_opportunity_lost(
        d,
        lost_reasons=["Too expensive", "Timing"],
        competitors=["Rival Inc"],
        detail="Price",
        by=sales,
    )
    crm.declare_opportunity_lost(e, lost_reasons=["Too expensive"], by=sales2)
    qf = selling.submit_quotation(selling.make_quotation_from_opportunity(f, by=sales), by=sales)
    so = selling.make_sales_order_from_quotation(qf, by=sales)
    so = selling.submit_sales_order(so, by=sales)
    qg = selling.submit_quotation(selling.make_quotation_from_opportunity(g, by=sales), by=sales)
    selling.declare_quotation_lost(qg, lost_reasons=["No budget"], by=sales)
    converted = crm.make_customer_from_lead(l2, by=sales)

    # the clocks, set where the services took "now"
    Lead.objects.filter(pk=l1.pk).update(creation=at(2026, 2, 1))
    Lead.objects.filter(pk=l2.pk).update(creation=at(2026, 2, 3))
    Customer.objects.filter(pk=converted.pk).update(creation=at(2026, 2, 13))
    Customer.objects.filter(pk__in=[customer.pk, other_customer.pk]).update(creation=at(2026, 1, 5))
    first = {a: ("30", "10"), b: ("90", "60"), c: ("600", "300")}
    made = {
        a: at(2026, 2, 3),
        b: at(2026, 2, 1, 12),
        c: at(2026, 2, 2, 12),
        d: at(2026, 1, 20),
        e: at(2026, 1, 21),
        f: at(2026, 2, 5),
        g: at(2026, 1, 22),
    }
    for o, when in made.items():
        Opportunity.objects.filter(pk=o.pk).update(creation=when, transaction_date=when.date())
    for o, (wall, business) in first.items():
        Opportunity.objects.filter(pk=o.pk).update(
            mins_to_first_response=Decimal(wall), business_mins_to_first_response=Decimal(business)
        )
    Opportunity.objects.filter(pk=d.pk).update(modified=at(2026, 2, 15))
    Opportunity.objects.filter(pk=e.pk).update(modified=at(2026, 3, 3))
    Opportunity.objects.filter(pk=g.pk).update(modified=at(2026, 3, 10))
    Quotation.objects.filter(pk=qg.pk).update(modified=at(2026, 3, 10), creation=at(2026, 1, 25))
    Quotation.objects.filter(pk=qf.pk).update(creation=at(2026, 2, 9))
    SalesOrder.objects.filter(pk=so.pk).update(transaction_date=date(2026, 3, 15))
    SalesTarget.objects.create(user=sales, month=date(2026, 3, 1), amount=Decimal(2000))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "qg": qg, "so": so}
