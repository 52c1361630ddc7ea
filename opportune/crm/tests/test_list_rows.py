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
