"""API.md ``activities`` and ``activity-types``: CRUD through the document machinery, the ``done``
(with its outcome, on the document's timeline) and ``cancel`` actions, the list filters, versions
(409), who sees what, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from opportune.activities import todos
from opportune.activities.models import Activity, ActivityType
from opportune.testing import make_lead, make_opportunity

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _plan(by, reference=None, **data) -> Activity:
    values = {"activity_type": "Call", "summary": "Call Ada", "due_date": "2026-12-10", **data}
    if reference is not None:
        values |= {"reference_type": reference.doctype, "reference_name": reference.name}
    return todos.create_activity(data=values, by=by)


def test_create_read_change_delete(api_as, sales):
    lead = make_lead(sales)
    api = api_as(sales)
    made = api.post(
        "activities",
        {
            "activity_type": "Call",
            "summary": "Call Ada about the quote",
            "due_date": "2026-12-10",
            "reference_type": "Lead",
            "reference_name": lead.name,
            "notes": "She prefers mornings",
        },
    )
    assert made.status_code == 201, made.json()
    name = made.json()["name"]
    assert name == "ACT-2026-00001"
    assert made.json() == {
        "name": name,
        "version": 1,
        "creation": "2026-12-07T09:00:00Z",
        "modified": "2026-12-07T09:00:00Z",
        "owner": "sales",
        "modified_by": "sales",
        "activity_type": "Call",
        "summary": "Call Ada about the quote",
        "due_date": "2026-12-10",
        "allocated_to": "sales",
        "reference_type": "Lead",
        "reference_name": lead.name,
        "notes": "She prefers mornings",
        "status": "Open",
        "outcome": "",
        "completed_on": None,
    }
    changed = api.patch(f"activities/{name}", {"due_date": "2026-12-11", "version": 1})
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["due_date"], changed.json()["version"]) == ("2026-12-11", 2)
    stale = api.patch(f"activities/{name}", {"summary": "Other", "version": 1})
    assert stale.status_code == 409
    assert Activity.objects.get().summary == "Call Ada about the quote"
    assert api.delete(f"activities/{name}", headers={"If-Match": "2"}).status_code == 204
    assert not Activity.objects.exists()


def test_done_with_outcome_goes_to_the_timeline_and_is_final(api_as, sales):
    opportunity = make_opportunity(sales)
    activity = _plan(sales, opportunity)
    api = api_as(sales)
    done = api.post(f"activities/{activity.name}/done", {"outcome": "She will sign Friday"})
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "Done"
    assert done.json()["outcome"] == "She will sign Friday"
    assert done.json()["completed_on"] == "2026-12-07T09:00:00Z"
    timeline = api.get(f"opportunities/{opportunity.name}/timeline").json()
    entry = next(e for e in timeline if e["kind"] == "activity")
    assert entry["summary"] == "📞 Call done: Call Ada — She will sign Friday"
    assert entry["user"] == "sales"
    again = api.post(f"activities/{activity.name}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert Activity.objects.get().status == "Done"
    refused = api.patch(f"activities/{activity.name}", {"summary": "Late edit"})
    assert refused.status_code == 409
    assert Activity.objects.get().summary == "Call Ada"


def test_cancel(api_as, sales):
    activity = _plan(sales)
    answer = api_as(sales).post(f"activities/{activity.name}/cancel", {"version": 1})
    assert answer.status_code == 200
    assert answer.json()["status"] == "Cancelled"
    # cancelled activities are not on the timeline
    assert todos.activity_state(None, NOW.date()) == "none"


def test_list_filters(api_as, sales, manager):
    lead = make_lead(sales)
    first = _plan(sales, lead, due_date="2026-12-05")
    _plan(sales, lead, due_date="2026-12-20", summary="Later")
    _plan(manager, due_date="2026-12-01", allocated_to="manager", summary="Manager's own")
    todos.mark_activity_done(first, outcome="ok", by=sales)
    api = api_as(manager)

    def summaries(**params):
        answer = api.get("activities", **params)
        assert answer.status_code == 200, answer.json()
        return [row["summary"] for row in answer.json()["results"]]

    assert summaries(ordering="due_date") == ["Manager's own", "Call Ada", "Later"]
    assert summaries(allocated_to="sales", ordering="due_date") == ["Call Ada", "Later"]
    assert summaries(status="Open", ordering="due_date") == ["Manager's own", "Later"]
    assert summaries(due_date__lte="2026-12-05", ordering="due_date") == [
        "Manager's own",
        "Call Ada",
    ]
    assert summaries(reference_name=lead.name, status="Open") == ["Later"]
    bad = api.get("activities", due_date__lte="someday")
    assert bad.status_code == 422


def test_who_sees_and_changes_what(api_as, sales, sales2, manager, purchaser, outsider):
    mine = make_lead(sales)  # sales2 does not see this lead
    on_my_lead = _plan(sales, mine)
    given = _plan(sales, allocated_to="sales2", summary="For Sally")

    def names(user):
        return sorted(r["summary"] for r in api_as(user).get("activities").json()["results"])

    assert names(sales) == ["Call Ada", "For Sally"]
    assert names(sales2) == ["For Sally"]  # given to them; not the one on a lead they do not see
    assert names(manager) == ["Call Ada", "For Sally"]
    assert names(purchaser) == []
    assert api_as(outsider).get("activities").json()["results"] == []
    assert api_as(sales2).get(f"activities/{on_my_lead.name}").status_code == 404
    assert api_as(sales2).post(f"activities/{given.name}/done").status_code == 200
    # planning on a document one may not see is as if it did not exist
    refused = api_as(sales2).post(
        "activities",
        {
            "activity_type": "Call",
            "summary": "Snoop",
            "due_date": "2026-12-10",
            "reference_type": "Lead",
            "reference_name": mine.name,
        },
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["fields"] == {"reference_name": [f"Lead {mine.name} not found."]}
    assert api_as(purchaser).post("activities", {"foo": 1}).status_code == 403
    assert Activity.objects.count() == 2


def test_bad_input_names_the_field_and_changes_nothing(api_as, sales, purchaser):
    api = api_as(sales)
    cases = [
        ({"activity_type": "Dance", "summary": "x", "due_date": "2026-12-10"}, "activity_type"),
        ({"activity_type": "Call", "summary": "x", "due_date": "2026-12-10", "allocated_to": "purchaser"}, "allocated_to"),
        ({"activity_type": "Call", "summary": "x", "due_date": "2026-12-10", "reference_type": "Planet", "reference_name": "Mars"}, "reference_type"),
        ({"activity_type": "Call", "summary": "   ", "due_date": "2026-12-10"}, "summary"),
    ]  # fmt: skip
    for body, field in cases:
        answer = api.post("activities", body)
        assert answer.status_code == 422, (body, answer.json())
        assert field in answer.json()["error"]["fields"], answer.json()
    assert api.post("activities", {"summary": "no type"}).status_code == 422
    assert not Activity.objects.exists()


def test_the_assignee_is_told(api_as, sales, sales2):
    api_as(sales).post(
        "activities",
        {"activity_type": "Meeting", "summary": "Demo", "due_date": "2026-12-09", "allocated_to": "sales2"},
    )  # fmt: skip
    notification = sales2.notifications.get()
    assert notification.subject == "sales planned for you: Demo"
    assert notification.body == "Meeting, due 2026-12-09"
    assert not sales.notifications.exists()


def test_activity_types_are_a_master_managers_write(api_as, sales, manager):
    listed = api_as(sales).get("activity-types", ordering="name").json()["results"]
    assert listed == [
        {"name": "Call", "icon": "📞"},
        {"name": "Email", "icon": "✉️"},
        {"name": "Meeting", "icon": "👥"},
        {"name": "Task", "icon": "✔️"},
    ]
    assert api_as(sales).post("activity-types", {"name": "Visit"}).status_code == 403
    made = api_as(manager).post("activity-types", {"name": "Visit", "icon": "🚗"})
    assert made.status_code == 201, made.json()
    assert ActivityType.objects.get(name="Visit").icon == "🚗"
    _plan(sales, activity_type="Visit")
    assert api_as(manager).delete("activity-types/Visit").status_code == 409  # still used
