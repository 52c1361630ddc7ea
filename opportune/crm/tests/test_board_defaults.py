"""The board by stage shows the live pipeline; lost and closed deals stay out unless asked for."""

from django.test import Client
from django.urls import reverse

from opportune.crm import services
from opportune.testing import make_opportunity


def _board(user, **params):
    client = Client()
    client.force_login(user)
    return client.get(reverse("crm:opportunity_board"), params)


def test_board_by_stage_leaves_out_lost_opportunities_unless_filtered(sales):
    live = make_opportunity(sales, opportunity_amount="100")
    lost = make_opportunity(sales, opportunity_amount="900")
    services.declare_opportunity_lost(lost, lost_reasons=["Timing"], version=lost.version, by=sales)

    page = _board(sales)
    assert live.name in page.content.decode()
    assert lost.name not in page.content.decode()
    prospecting = next(c for c in page.context["columns"] if c["key"] == "Prospecting")
    assert prospecting["total"]["count"] == 1
    assert prospecting["total"]["amount"] == 100

    asked = _board(sales, status="Lost")
    assert lost.name in asked.content.decode()
    assert live.name not in asked.content.decode()

    by_status = _board(sales, group_by="status")
    assert lost.name in by_status.content.decode()
