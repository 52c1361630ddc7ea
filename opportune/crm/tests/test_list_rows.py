"""The opportunity list page's rows (crm/templatetags/opportunity_rows.py, built in Python):
what each column shows, escaped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportune.testing import client_for, make_customer, make_opportunity

pytestmark = pytest.mark.django_db


def _row(page: str, name: str) -> str:
    start = page.index(f'value="{name}@')
    return page[page.rindex("<tr>", 0, start) : page.index("</tr>", start)]


def test_a_row_shows_each_column_escaped(manager):
    party = make_customer(manager, customer_name="Bits & <Bytes>")
    opp = make_opportunity(
        manager,
        party,
        title="<script>alert(1)</script>",
        opportunity_amount=Decimal("1234.5"),
        expected_closing=dt.date(2031, 2, 3),
        sales_stage="Qualification",
    )
    page = client_for(manager).get(reverse("crm:opportunity_list")).content.decode()
    row = _row(page, opp.name)
    href = reverse("crm:opportunity_detail", args=[opp.name])
    assert f'<a href="{href}">{opp.name}</a>' in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row and "<script>" not in row
    assert '<span class="muted small">Customer</span> Bits &amp; &lt;Bytes&gt;' in row
    assert '<span class="badge badge-blue">Open</span>' in row
    assert '<td class="hide-sm">Qualification</td>' in row
    assert '<td class="hide-sm">\u2014</td>' in row  # no owner
    assert f"{opp.currency_id} 1,234.50" in row
    assert ">2031-02-03<" in row
    local = timezone.localtime(opp.modified)  # the site's time zone, as every page shows times
    assert f">{local:%Y-%m-%d %H:%M}<" in row
    assert 'data-activity-state="none"' in row


def test_a_user_who_may_not_write_gets_no_checkboxes(manager, purchaser):
    opp = make_opportunity(manager)
    page = client_for(purchaser).get(reverse("crm:opportunity_list")).content.decode()
    assert opp.name in page
    assert 'name="selected"' not in page


@pytest.mark.parametrize("user", ["manager", "sales"])  # a kept statement; the ORM (own rows)
def test_the_pages_walk_every_row_with_filters_and_badges(user, manager, sales, monkeypatch):
    from opportune.core import pages as common
    from opportune.core import statements
    from opportune.crm import services
    from opportune.crm.models import CRMSettings, SalesStage

    statements.clear()
    SalesStage.objects.filter(name="Prospecting").update(stale_after_days=1)
    settings = CRMSettings.current()
    settings.first_response_target_minutes = 1
    settings.save()
    old = timezone.now() - dt.timedelta(days=5)
    made = [
        make_opportunity(sales, title=f"Deal {i}", sales_stage="Prospecting", now=old)
        for i in range(5)
    ]
    services.set_opportunity_status(made[4], status="Closed", version=1, by=sales)
    client = client_for(manager if user == "manager" else sales)
    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    seen, cursor = [], None
    while True:
        query = {"ordering": "title", "status": "Open", "opportunity_owner": ""}
        if cursor:
            query["cursor"] = cursor
        response = client.get(reverse("crm:opportunity_list"), query)
        page = response.context["page"]
        seen += [o.title for o in page["results"]]
        assert all(o.stale_days == 5 and o.response_overdue for o in page["results"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["Deal 0", "Deal 1", "Deal 2", "Deal 3"]
    kept = [k for k, v in statements._kept.items() if "crm.opportunity_page" in str(k)]
    assert bool(kept) == (user == "manager")
