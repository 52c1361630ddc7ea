"""Saved views (issue 14 point 2, decision 0027): a list's URL query saved under a label, the
owner's own or shared by a manager, one default per user and list; the API ``saved-views``."""

from __future__ import annotations

import pytest

from opportune.accounts.roles import SALES_MANAGER, SALES_USER
from opportune.core import saved_views
from opportune.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from opportune.core.models import SavedView
from opportune.testing import ApiClient, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "sales": make_user("sales", SALES_USER),
        "other": make_user("sales2", SALES_USER),
        "manager": make_user("boss", SALES_MANAGER, SALES_USER),
    }


def make_view(user, **data):
    return saved_views.create_view(
        data={"label": "Mine", "resource": "opportunities", "query": "status=Open", **data},
        by=user,
    )


# --- services ----------------------------------------------------------------------------------
def test_query_is_cleaned_of_cursor_and_format(people):
    view = make_view(people["sales"], query="?status=Open&cursor=abc&format=csv&q=acme")
    assert view.query == "status=Open&q=acme"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"resource": "invoices"}, "resource"),
        ({"label": "  "}, "label"),
        ({"query": "a=" + "x" * 2000}, "query"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(people, data, field):
    with pytest.raises(ValidationError) as caught:
        make_view(people["sales"], **data)
    assert field in caught.value.fields
    assert not SavedView.objects.exists()


def test_visible_is_own_and_shared(people):
    mine = make_view(people["sales"], label="Mine")
    make_view(people["other"], label="Theirs")
    shared = make_view(people["manager"], label="Team", shared=True)
    assert set(saved_views.visible(people["sales"])) == {mine, shared}
    assert list(saved_views.visible(people["sales"], "leads")) == []


def test_others_private_view_is_not_found(people):
    theirs = make_view(people["other"])
    with pytest.raises(NotFoundError):
        saved_views.get_for(people["sales"], theirs.pk)
    with pytest.raises(NotFoundError):
        saved_views.get_for(people["sales"], "not-a-number")


def test_only_managers_share(people):
    with pytest.raises(PermissionDeniedError) as caught:
        make_view(people["sales"], shared=True)
    assert "shared" in caught.value.fields
    assert not SavedView.objects.exists()
    mine = make_view(people["sales"])
    with pytest.raises(PermissionDeniedError):
        saved_views.update_view(mine, data={"shared": True}, by=people["sales"])
    assert make_view(people["manager"], shared=True).shared


def test_only_the_owner_changes_a_shared_view(people):
    team = make_view(people["manager"], shared=True)
    with pytest.raises(PermissionDeniedError):
        saved_views.update_view(team, data={"label": "Hijacked"}, by=people["sales"])
    with pytest.raises(PermissionDeniedError):
        saved_views.delete_view(team, by=people["sales"])
    team.refresh_from_db()
    assert team.label == "Mine"


def test_one_default_per_user_and_resource(people):
    sales = people["sales"]
    first = make_view(sales, label="First", is_default=True)
    leads = make_view(sales, label="Leads", resource="leads", is_default=True)
    second = make_view(sales, label="Second", is_default=True)
    others = make_view(people["other"], label="Other", is_default=True)
    first.refresh_from_db()
    assert not first.is_default
    assert saved_views.default_query(sales, "opportunities") == second.query
    saved_views.update_view(first, data={"is_default": True, "query": "status=Lost"}, by=sales)
    defaults = SavedView.objects.filter(is_default=True)
    assert set(defaults) == {first, leads, others}
    assert saved_views.default_query(sales, "opportunities") == "status=Lost"
    assert saved_views.default_query(sales, "customers") is None


# --- API ---------------------------------------------------------------------------------------
def test_api_crud(people):
    api = ApiClient(people["sales"])
    response = api.post(
        "saved-views",
        {"label": "Open", "resource": "leads", "query": "status=Open&cursor=x", "is_default": True},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["query"] == "status=Open"
    assert body["is_default"] is True and body["shared"] is False
    name = body["name"]
    assert name == str(SavedView.objects.get().pk)
    assert api.get(f"saved-views/{name}").json()["label"] == "Open"
    response = api.patch(f"saved-views/{name}", {"label": "Open leads"})
    assert response.status_code == 200 and response.json()["label"] == "Open leads"
    assert api.delete(f"saved-views/{name}").status_code == 204
    assert api.get(f"saved-views/{name}").status_code == 404


def test_api_list_own_and_shared_by_resource(people):
    make_view(people["sales"], label="Mine")
    make_view(people["sales"], label="My leads", resource="leads")
    make_view(people["other"], label="Theirs")
    make_view(people["manager"], label="Team", shared=True)
    api = ApiClient(people["sales"])
    labels = [
        v["label"] for v in api.get("saved-views", resource="opportunities").json()["results"]
    ]
    assert labels == ["Mine", "Team"]
    assert len(api.get("saved-views").json()["results"]) == 3
    assert api.get("saved-views", resource="nope").status_code in (400, 422)


def test_api_refusals(people):
    theirs = make_view(people["other"])
    team = make_view(people["manager"], shared=True)
    api = ApiClient(people["sales"])
    assert api.get(f"saved-views/{theirs.pk}").status_code == 404
    assert api.patch(f"saved-views/{theirs.pk}", {"label": "x"}).status_code == 404
    assert api.delete(f"saved-views/{theirs.pk}").status_code == 404
    assert api.get(f"saved-views/{team.pk}").status_code == 200
    assert api.patch(f"saved-views/{team.pk}", {"label": "x"}).status_code == 403
    assert api.delete(f"saved-views/{team.pk}").status_code == 403
    response = api.post("saved-views", {"label": "S", "resource": "leads", "shared": True})
    assert response.status_code == 403
    assert "shared" in response.json()["error"]["fields"]
    response = api.post("saved-views", {"label": "S", "resource": "invoices"})
    assert response.status_code in (400, 422)
    assert "resource" in response.json()["error"]["fields"]
    response = api.post("saved-views", {"label": "S", "resource": "leads", "query": "x" * 2001})
    assert response.status_code in (400, 422)
    assert "query" in response.json()["error"]["fields"]
    assert ApiClient(None).get("saved-views").status_code == 401
    assert SavedView.objects.count() == 2
