"""The board's cards: each column's newest first, capped, read for every column in one query
(docs/decisions/0034-board-summary.md, point 6), whoever looks and however it is grouped."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opportune.crm import services
from opportune.crm.models import OpportunityLostReason
from opportune.crm.views import board
from opportune.testing import client_for, make_opportunity

pytestmark = pytest.mark.django_db
START = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 0))


def _made(by, stage, minutes, **data):
    return make_opportunity(
        by, sales_stage=stage, now=START + dt.timedelta(minutes=minutes), **data
    ).name


def _cards(user, **query):
    page = client_for(user).get(reverse("crm:opportunity_board"), query)
    assert page.status_code == 200
    return {
        c["key"]: ([card.name for card in c["cards"]], c["more"]) for c in page.context["columns"]
    }


def test_each_column_shows_its_newest_cards_first_up_to_the_cap(sales, monkeypatch):
    monkeypatch.setattr(board, "CARDS_PER_COLUMN", 2)
    p1, p2, p3 = (_made(sales, "Prospecting", m) for m in (1, 5, 3))
    q1 = _made(sales, "Qualification", 2)
    n1, n2 = _made(sales, None, 4), _made(sales, None, 6)

    cards = _cards(sales)
    assert cards["Prospecting"] == ([p2, p3], 1)
    assert cards["Qualification"] == ([q1], 0)
    assert cards[board.NO_STAGE] == ([n2, n1], 0)
    assert cards["Negotiation/Review"] == ([], 0)
    # a column's cards carry what the card shows
    page = client_for(sales).get(reverse("crm:opportunity_board")).content.decode()
    assert f'data-name="{p2}"' in page and f'data-name="{p1}"' not in page
    assert f'data-name="{n1}"' in page


def test_one_query_reads_the_cards_of_every_column(sales):
    _made(sales, "Prospecting", 1)

    def queries() -> int:
        client = client_for(sales)
        client.get(reverse("crm:opportunity_board"))  # the session and user, once
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("crm:opportunity_board"))
        return len(captured)

    one_column = queries()
    for stage, minutes in (("Qualification", 2), ("Needs Analysis", 3), (None, 4)):
        _made(sales, stage, minutes)
    assert queries() == one_column


def test_a_rep_sees_only_their_cards_in_every_column_and_by_status(sales, sales2):
    mine = _made(sales, "Prospecting", 1)
    theirs = _made(sales2, "Prospecting", 2)
    mine_later = _made(sales, "Qualification", 3)
    lost = make_opportunity(sales, sales_stage="Qualification")
    services.declare_opportunity_lost(
        lost,
        lost_reasons=[OpportunityLostReason.objects.create(name="Price").name],
        version=lost.version,
        by=sales,
    )

    cards = _cards(sales)
    assert (cards["Prospecting"][0], cards["Qualification"][0]) == ([mine], [mine_later])
    by_status = _cards(sales, group_by="status")
    assert by_status["Open"][0] == [mine_later, mine]
    assert by_status["Lost"][0] == [lost.name]
    assert theirs not in str(by_status)
    # a search narrows every column
    assert _cards(sales, q=mine)["Prospecting"][0] == [mine]
    assert _cards(sales, q=mine)["Qualification"][0] == []
