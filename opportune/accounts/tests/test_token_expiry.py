"""API tokens with an optional expiry: set by the API, the profile page and the command; an
expired token answers 401 saying so; the page and the API list show it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opportune.accounts.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_api_creates_a_token_with_an_expiry_that_works_until_then(sales, api_as):
    api = api_as(sales)
    when = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    r = api.post("tokens", {"label": "CI", "expires": when.isoformat()})
    assert r.status_code == 201, r.content
    body = r.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert token.expires == when
    assert datetime.fromisoformat(body["expires"]) == when
    assert bearer(body["token"]).get("/api/v1/tokens").status_code == 200
    listed = {row["label"]: row["expires"] for row in api.get("tokens").json()["results"]}
    assert datetime.fromisoformat(listed["CI"]) == when and listed["test"] is None


def test_an_expired_token_answers_401_with_the_reason(sales):
    token, raw = ApiToken.issue(sales, "old")
    ApiToken.objects.filter(pk=token.pk).update(expires=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    r = bearer(raw).get("/api/v1/opportunities")
    assert r.status_code == 401
    assert r.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "This API token expired on 2026-01-02 03:04 UTC: "
            "create a new one on your profile page.",
            "fields": {},
        }
    }
    assert (
        bearer(raw).post("/api/v1/tokens", {}, content_type="application/json").status_code == 401
    )
    assert ApiToken.objects.filter(user=sales).count() == 1  # the refused POST made nothing
    token.refresh_from_db()
    assert token.last_used is None  # an expired token's use is not recorded as a use


def test_a_token_works_until_the_second_it_expires(sales):
    token, raw = ApiToken.issue(sales, "soon", timezone.now() + timedelta(seconds=60))
    assert bearer(raw).get("/api/v1/tokens").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires=timezone.now())
    assert bearer(raw).get("/api/v1/tokens").status_code == 401


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("2020-01-01T00:00:00Z", "The expiry must be in the future."),
        ("not a date", None),
    ],
)
def test_an_expiry_in_the_past_or_not_a_date_is_refused(sales, api_as, expires, message):
    api = api_as(sales)
    r = api.post("tokens", {"label": "x", "expires": expires})
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert list(fields) == ["expires"]
    if message:
        assert fields["expires"] == [message]
    assert ApiToken.objects.filter(user=sales).count() == 1  # only api_as's own token


def test_a_naive_expiry_is_read_as_utc(sales, api_as):
    r = api_as(sales).post("tokens", {"expires": "2099-05-06T07:08:00"})
    assert r.status_code == 201
    assert ApiToken.objects.get(pk=r.json()["id"]).expires == datetime(2099, 5, 6, 7, 8, tzinfo=UTC)


def test_profile_page_creates_an_expiring_token_and_shows_every_column(sales):
    client = Client()
    client.force_login(sales)
    before = timezone.now()
    response = client.post(reverse("profile"), {"label": "laptop", "expires_days": "7"})
    secret = response.context["new_secret"]
    token = ApiToken.objects.get(user=sales)
    assert token.key_hash == hash_token(secret)
    assert token.expires is not None
    assert before + timedelta(days=7) <= token.expires <= timezone.now() + timedelta(days=7)
    old, _raw = ApiToken.issue(sales, "old")
    ApiToken.objects.filter(pk=old.pk).update(
        expires=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        last_used=datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
    )
    page = client.get(reverse("profile")).content.decode()
    assert (
        '<th>Label</th><th>Starts with</th><th class="hide-sm">Created</th><th>Last used</th>'
        "<th>Expires</th>"
    ) in page
    assert token.expires.strftime("%Y-%m-%d %H:%M") in page
    assert '2026-01-02 03:04 <span class="chip chip-danger">expired</span>' in page
    assert "2026-01-01 09:30" in page
    assert page.count("Revoke</button>") == 2


@pytest.mark.parametrize("days", ["0", "-3", "3651", "soon"])
def test_profile_page_refuses_a_bad_number_of_days(sales, days):
    client = Client()
    client.force_login(sales)
    response = client.post(reverse("profile"), {"label": "x", "expires_days": days})
    assert list(response.context["form"].errors) == ["expires_days"]
    assert ApiToken.objects.count() == 0


def test_command_takes_expires_days(sales):
    out = StringIO()
    before = timezone.now()
    call_command("create_api_token", "sales", "--expires-days", "10", stdout=out)
    token = ApiToken.objects.get(user=sales)
    assert token.key_hash == hash_token(out.getvalue().strip())
    assert token.expires is not None
    assert before + timedelta(days=10) <= token.expires <= timezone.now() + timedelta(days=10)
    with pytest.raises(CommandError, match="At least 1 day"):
        call_command("create_api_token", "sales", "--expires-days", "0")
    assert ApiToken.objects.count() == 1
