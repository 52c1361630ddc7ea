"""Activities on the pages: planned from a document's panel and, in two clicks, from a board
card; the next activity's state on board cards and list rows (overdue red, today amber, planned
green, none grey); done with its outcome onto the timeline; the home page's overdue, today and
upcoming."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from opportune.activities import todos
from opportune.activities.models import Activity
from opportune.testing import client_for, make_customer, make_lead, make_opportunity

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)  # Monday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _plan(by, doc, due, summary="Call Ada", **extra) -> Activity:
    return todos.create_activity(
        data={
            "activity_type": "Call",
            "summary": summary,
            "due_date": due,
            "reference_type": doc.doctype,
            "reference_name": doc.name,
            **extra,
        },
        by=by,
    )


def _state(html: str, name: str) -> str:
    """The state of the badge that follows ``name`` in the page."""
    after = html[html.index(f'data-name="{name}"') :]
    return after[after.index("data-activity-state=") :].split('"')[1]


def test_the_board_quick_plans_a_call_in_three_days_and_shows_its_state(sales):
    opp = make_opportunity(sales)
    client = client_for(sales)
    board = client.get("/crm/opportunities/board/")
    assert _state(board.content.decode(), opp.name) == "none"
    answer = client.post(
        "/calendar/activities/plan/",
        {
            "plan": "Call:3",
            "reference_type": "Opportunity",
            "reference_name": opp.name,
            "next": "/crm/opportunities/board/",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == "/crm/opportunities/board/"
    activity = Activity.objects.get()
    assert (activity.activity_type_id, activity.summary, activity.due_date) == (
        "Call",
        "Call",
        dt.date(2026, 12, 10),
    )
    assert activity.allocated_to == sales
    assert _state(client.get("/crm/opportunities/board/").content.decode(), opp.name) == "planned"


def test_the_board_holds_the_quick_plan_form_once_whatever_its_cards(sales):
    """Each card has its Plan menu; the form with the plans is drawn once a page (a <template>
    the board's script copies into the menu that opens), not once a card."""
    opps = [make_opportunity(sales) for _ in range(3)]
    page = client_for(sales).get("/crm/opportunities/board/").content.decode()
    for opp in opps:
        assert f'aria-label="Plan an activity on {opp.name}"' in page
    assert page.count('<template id="quick-plan-form">') == 1
    assert page.count('name="plan" value="Call:3"') == 1
    assert page.count('name="reference_name" value=""') == 1


@pytest.mark.parametrize(
    ("due", "state"),
    [("2026-12-06", "overdue"), ("2026-12-07", "today"), ("2026-12-08", "planned")],
)
def test_the_list_rows_show_the_next_open_activity(sales, due, state):
    opp = make_opportunity(sales)
    _plan(sales, opp, "2026-12-20", summary="Later")  # not the next one
    _plan(sales, opp, due)
    done = _plan(sales, opp, "2026-12-01", summary="Done long ago")
    todos.mark_activity_done(done, by=sales)
    html = client_for(sales).get("/crm/opportunities/").content.decode()
    row = html[html.index(opp.name) :]
    assert row[row.index("data-activity-state=") :].split('"')[1] == state


def test_lead_list_and_panels(sales):
    lead = make_lead(sales)
    customer = make_customer(sales)
    _plan(sales, lead, "2026-12-06")
    client = client_for(sales)
    html = client.get("/crm/leads/").content.decode()
    assert 'data-activity-state="overdue"' in html
    page = client.get(f"/crm/leads/{lead.name}/").content.decode()
    assert "Call Ada" in page and 'aria-label="Plan an activity"' in page
    answer = client.post(
        "/calendar/activities/plan/",
        {
            "activity_type": "Meeting",
            "summary": "Visit the plant",
            "due_date": "2026-12-09",
            "allocated_to": "sales",
            "reference_type": "Customer",
            "reference_name": customer.name,
            "next": f"/crm/customers/{customer.name}/",
        },
    )
    assert answer.status_code == 302
    assert "Visit the plant" in client.get(f"/crm/customers/{customer.name}/").content.decode()


def test_done_from_the_panel_goes_to_the_timeline(sales):
    opp = make_opportunity(sales)
    activity = _plan(sales, opp, "2026-12-07")
    client = client_for(sales)
    client.post(
        f"/calendar/activities/{activity.name}/done/",
        {"outcome": "Agreed on a demo", "version": "1", "next": f"/crm/opportunities/{opp.name}/"},
    )
    page = client.get(f"/crm/opportunities/{opp.name}/").content.decode()
    assert "Call done: Call Ada — Agreed on a demo" in page
    assert "No activity planned." in page
    stale = client.post(f"/calendar/activities/{activity.name}/cancel/", {"version": "1"})
    assert stale.status_code == 302
    assert Activity.objects.get().status == "Done"


def test_the_home_page_lists_my_activities_overdue_today_upcoming(sales, sales2):
    opp = make_opportunity(sales)
    _plan(sales, opp, "2026-12-01", summary="Old call")
    _plan(sales, opp, "2026-12-07", summary="Call today")
    _plan(sales, opp, "2026-12-09", summary="Next call")
    _plan(sales, opp, "2026-12-07", summary="Sally call", allocated_to="sales2")
    html = client_for(sales).get("/").content.decode()
    groups = {
        g: html[html.index(f'data-activity-group="{g}"') :].split("</ul>")[0]
        for g in ("overdue", "today", "planned")
    }
    assert "Old call" in groups["overdue"] and "Call today" not in groups["overdue"]
    assert "Call today" in groups["today"]
    assert "Next call" in groups["planned"]
    assert "Sally call" not in html


def test_a_user_who_may_not_see_the_document_cannot_plan_on_it(sales, sales2):
    lead = make_lead(sales)
    answer = client_for(sales2).post(
        "/calendar/activities/plan/",
        {"plan": "Call:1", "reference_type": "Lead", "reference_name": lead.name},
    )
    assert answer.status_code == 302
    assert not Activity.objects.exists()
    other = _plan(sales, lead, "2026-12-08")
    assert client_for(sales2).post(f"/calendar/activities/{other.name}/done/").status_code == 404
    assert Activity.objects.get().status == "Open"
