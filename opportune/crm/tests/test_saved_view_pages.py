"""Saved views on the pages (issue 14 point 2, decision 0027): the bar above the lists and the
board, the default view opened from the bare list URL, the quick filters as plain URLs, and the
POST pages that save, change and delete a view."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from opportune.core import saved_views
from opportune.core.models import SavedView
from opportune.crm.quick_filters import opportunity_quick_filters, quarter_of
from opportune.testing import client_for, make_opportunity

pytestmark = pytest.mark.django_db

LIST = "/crm/opportunities/"
BOARD = "/crm/opportunities/board/"
SAVE = "/views/save/"


def make_view(user, **data):
    return saved_views.create_view(
        data={"label": "Mine", "resource": "opportunities", "query": "status=Lost", **data},
        by=user,
    )


def chips(response) -> str:
    html = response.content.decode()
    start = html.index('id="saved-views"')
    return html[start : html.index("</section>", start)]


# --- the bar ------------------------------------------------------------------------------------
def test_the_bar_shows_own_and_shared_views_never_another_users_private_one(sales, sales2, manager):
    make_view(sales, label="My lost deals")
    make_view(sales2, label="Sally's secret")
    make_view(manager, label="Team pipeline", shared=True, query="status=Open")
    bar = chips(client_for(sales).get(LIST + "?view=all"))
    assert "My lost deals" in bar
    assert "Team pipeline" in bar
    assert "Sally" not in bar


def test_the_quick_filters_are_visible_links_of_the_lists_own_filters(sales):
    response = client_for(sales).get(LIST + "?view=all")
    bar = chips(response)
    for label in ("My open", "Closing this month", "Stale", "Lost this quarter"):
        assert label in bar
    assert 'href="/crm/opportunities/?stale=1"' in bar


def test_the_current_view_is_marked(sales):
    view = make_view(sales, label="Lost ones")
    bar = chips(client_for(sales).get(f"{LIST}?{view.query}"))
    assert f'href="{LIST}?status=Lost" aria-current="page"' in bar
    assert f'href="{LIST}?view=all" aria-current' not in bar


def test_my_open_lists_the_users_live_deals_only(sales, sales2, manager):
    mine = make_opportunity(sales, title="Mine open", opportunity_owner="sales")
    make_opportunity(manager, title="Sally's", opportunity_owner="sales2")
    closed = make_opportunity(sales, title="Mine closed", opportunity_owner="sales")
    closed.status = "Closed"
    closed.save(update_fields=["status"])
    my_open = opportunity_quick_filters(manager.__class__.objects.get(username="sales"))[0]
    html = client_for(manager).get(f"{LIST}?{my_open.query}").content.decode()
    assert mine.name in html
    assert closed.name not in html
    assert "Sally&#x27;s" not in html


def test_lost_this_quarter_takes_the_days_of_the_quarter(sales, manager):
    lost = make_opportunity(sales, title="Lost now")
    lost.status = "Lost"
    lost.save(update_fields=["status", "modified"])
    long_ago = make_opportunity(sales, title="Lost long ago")
    type(long_ago).objects.filter(pk=long_ago.pk).update(
        status="Lost", modified=timezone.now().replace(year=2020)
    )
    quick = {f.label: f.query for f in opportunity_quick_filters(sales)}
    html = client_for(sales).get(f"{LIST}?{quick['Lost this quarter']}").content.decode()
    assert lost.name in html
    assert long_ago.name not in html


def test_quarter_of():
    assert quarter_of(date(2026, 12, 6)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_of(date(2026, 2, 28)) == (date(2026, 1, 1), date(2026, 3, 31))


# --- the default view ---------------------------------------------------------------------------
def test_the_bare_list_url_opens_the_default_view(sales):
    make_view(sales, query="status=Lost&ordering=-expected_closing", is_default=True)
    response = client_for(sales).get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?status=Lost&ordering=-expected_closing"


@pytest.mark.parametrize("query", ["?view=all", "?status=Open", "?q="])
def test_an_explicit_query_or_all_is_never_overridden(sales, query):
    make_view(sales, is_default=True)
    assert client_for(sales).get(LIST + query).status_code == 200


def test_a_default_of_the_whole_list_opens_the_list_without_a_loop(sales):
    make_view(sales, query="", is_default=True)
    assert client_for(sales).get(LIST).status_code == 200


def test_another_users_default_is_not_mine(sales, sales2):
    make_view(sales2, is_default=True, shared=False)
    assert client_for(sales).get(LIST).status_code == 200


def test_the_board_opens_its_own_default(sales):
    make_view(sales, resource="opportunity-board", query="group_by=status", is_default=True)
    response = client_for(sales).get(BOARD)
    assert response["Location"] == f"{BOARD}?group_by=status"
    assert client_for(sales).get(LIST).status_code == 200  # the list's default is another


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/crm/leads/", "leads"),
        ("/crm/customers/", "customers"),
        ("/selling/quotations/", "quotations"),
        ("/selling/sales-orders/", "sales-orders"),
        ("/buying/suppliers/", "suppliers"),
        ("/buying/supplier-quotations/", "supplier-quotations"),
        ("/buying/requests-for-quotation/", "requests-for-quotation"),
    ],
)
def test_every_list_has_the_bar_and_its_default(manager, path, resource):
    make_view(manager, resource=resource, label="Named one", query="q=zz", is_default=True)
    client = client_for(manager)
    assert client.get(path)["Location"] == f"{path}?q=zz"
    bar = chips(client.get(f"{path}?q=zz"))
    assert f'href="{path}?q=zz" aria-current="page"' in bar


# --- save, change, delete -----------------------------------------------------------------------
def test_save_a_private_view_opens_it(sales):
    response = client_for(sales).post(
        SAVE,
        {
            "resource": "opportunities",
            "label": "Big ones",
            "query": "base_opportunity_amount__gte=1000&cursor=abc&view=all",
        },
    )
    view = SavedView.objects.get()
    assert (view.user, view.label, view.query, view.shared) == (
        sales,
        "Big ones",
        "base_opportunity_amount__gte=1000",
        False,
    )
    assert response["Location"] == f"{LIST}?base_opportunity_amount__gte=1000"


def test_save_as_default_from_the_board(sales):
    client_for(sales).post(
        SAVE,
        {"resource": "opportunity-board", "label": "By status", "query": "group_by=status"},
    )
    client_for(sales).post(
        SAVE,
        {
            "resource": "opportunity-board",
            "label": "Stale by status",
            "query": "group_by=status&stale=1",
            "is_default": "1",
        },
    )
    assert saved_views.default_query(sales, "opportunity-board") == "group_by=status&stale=1"


def test_only_a_manager_shares(sales, manager):
    data = {"resource": "opportunities", "label": "Team", "query": "status=Open", "shared": "1"}
    client = client_for(sales)
    response = client.post(SAVE, data)
    assert response["Location"] == f"{LIST}?status=Open"  # back, with the reason
    assert not SavedView.objects.exists()
    assert "Only managers may share" in client.get(response["Location"]).text
    client_for(manager).post(SAVE, data)
    assert SavedView.objects.get().shared is True


def test_only_a_manager_is_offered_sharing(sales, manager):
    assert "Share with the team" not in chips(client_for(sales).get(LIST))
    assert "Share with the team" in chips(client_for(manager).get(LIST))


def test_htmx_save_answers_a_redirect_or_the_form_with_its_error(sales):
    client = client_for(sales)
    bad = client.post(
        SAVE, {"resource": "opportunities", "label": " ", "query": "q=x"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200
    assert 'aria-invalid="true"' in bad.text
    assert 'name="query" value="q=x"' in bad.text
    good = client.post(
        SAVE, {"resource": "opportunities", "label": "X", "query": "q=x"}, HTTP_HX_REQUEST="true"
    )
    assert good.status_code == 204
    assert good["HX-Redirect"] == f"{LIST}?q=x"


def test_bad_input_names_the_problem_and_saves_nothing(sales):
    client = client_for(sales)
    for data in (
        {"resource": "invoices", "label": "X"},
        {"resource": "opportunities", "label": ""},
        {"resource": "opportunities", "label": "X", "query": "q=" + "x" * 3000},
        {"resource": "opportunities", "label": "X\x00", "query": "q=\x00"},
    ):
        response = client.post(SAVE, data)
        assert response.status_code == 302, data
    assert not SavedView.objects.exists()


def test_rename_make_default_and_delete_own_view(sales):
    view = make_view(sales, label="Old")
    client = client_for(sales)
    back = client.post(f"/views/{view.pk}/", {"label": "New", "back": "status=Open"})
    assert back["Location"] == f"{LIST}?status=Open"
    client.post(f"/views/{view.pk}/", {"is_default": "1", "back": ""})
    view.refresh_from_db()
    assert (view.label, view.is_default) == ("New", True)
    assert client.get(LIST)["Location"] == f"{LIST}?status=Lost"
    gone = client.post(f"/views/{view.pk}/delete/", {"back": ""})
    assert gone["Location"] == f"{LIST}?view=all"
    assert not SavedView.objects.exists()
    assert client.get(LIST).status_code == 200


def test_another_users_views_cannot_be_changed(sales, sales2, manager):
    private = make_view(sales2, label="Sally's")
    shared = make_view(manager, label="Team", shared=True)
    client = client_for(sales)
    assert client.post(f"/views/{private.pk}/", {"label": "Mine"}).status_code == 404
    assert client.post(f"/views/{private.pk}/delete/").status_code == 404
    assert client.post(f"/views/{shared.pk}/", {"label": "Mine"}).status_code == 403
    assert client.post(f"/views/{shared.pk}/delete/").status_code == 403
    assert sorted(SavedView.objects.values_list("label", flat=True)) == ["Sally's", "Team"]


def test_a_rename_to_nothing_is_refused_with_a_message(sales):
    view = make_view(sales, label="Keep")
    response = client_for(sales).post(f"/views/{view.pk}/", {"label": "  "}, follow=True)
    assert "Give the view a label." in response.text
    view.refresh_from_db()
    assert view.label == "Keep"


def test_reverse_names():
    assert reverse("saved_view_create") == SAVE


def test_markup_in_a_view_is_shown_as_text(sales):
    markup = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    make_view(sales, label=markup, query=f"q={markup}#frag\r\nX: y")
    response = client_for(sales).get(LIST + "?view=all")
    bar = chips(response)
    assert "<script>alert(1)" not in response.text
    assert "<img src=x" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bar
    assert "%3Cscript%3E" in bar  # the query in the link, encoded (its # and newline too)
    assert "#frag" not in bar


def test_a_default_with_odd_characters_redirects_to_an_encoded_url(sales):
    make_view(sales, query="q=a b#c\r\nX: y", is_default=True)
    response = client_for(sales).get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q=a+b%23c%0D%0AX%3A+y"
