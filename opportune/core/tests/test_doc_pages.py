"""The six generic pages ``DocPages.urlpatterns`` gives each doctype: their paths and names, a login
before anything, POST only for the writes, and domain errors as 404 and 403 pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from opportune.selling.models import Quotation
from opportune.testing import client_for

pytestmark = pytest.mark.django_db

DOCTYPES = {
    "selling:quotation": "/selling/quotations/",
    "selling:sales_order": "/selling/sales-orders/",
    "buying:supplier_quotation": "/buying/supplier-quotations/",
    "buying:rfq": "/buying/requests-for-quotation/",
}


def _pages(url: str) -> dict[str, str]:
    return {
        "list": reverse(f"{url}_list"),
        "create": reverse(f"{url}_create"),
        "detail": reverse(f"{url}_detail", args=["X-1"]),
        "edit": reverse(f"{url}_edit", args=["X-1"]),
        "delete": reverse(f"{url}_delete", args=["X-1"]),
        "action": reverse(f"{url}_action", args=["X-1", "submit"]),
    }


@pytest.mark.parametrize("url", DOCTYPES)
def test_paths_and_names(url):
    prefix = DOCTYPES[url]
    assert _pages(url) == {
        "list": prefix,
        "create": f"{prefix}new/",
        "detail": f"{prefix}X-1/",
        "edit": f"{prefix}X-1/edit/",
        "delete": f"{prefix}X-1/delete/",
        "action": f"{prefix}X-1/submit/",
    }


@pytest.mark.parametrize("url", DOCTYPES)
def test_every_page_asks_for_a_login_first(url):
    client = Client()
    for page in _pages(url).values():
        for response in (client.get(page), client.post(page)):
            assert response.status_code == 302
            assert response["Location"] == f"/accounts/login/?next={page}"


@pytest.mark.parametrize("url", DOCTYPES)
def test_writes_are_post_only_and_errors_are_pages(url, manager, purchaser):
    client = client_for(purchaser if url.startswith("buying") else manager)
    pages = _pages(url)
    assert client.get(pages["delete"]).status_code == 405
    assert client.get(pages["action"]).status_code == 405
    for name in ("detail", "edit", "delete", "action"):
        assert client.post(pages[name]).status_code == 404  # no X-1
    assert client.post(reverse(f"{url}_action", args=["X-1", "reopen"])).status_code == 404


def test_a_reader_may_not_create(outsider):
    client = client_for(outsider)
    assert client.get(reverse("selling:quotation_create")).status_code == 403
    assert client.post(reverse("selling:quotation_create")).status_code == 403
    assert not Quotation.objects.exists()
