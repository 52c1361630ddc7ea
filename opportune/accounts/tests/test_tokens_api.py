"""``tokens``: a user's own API tokens; the secret is answered once and never listed."""

from __future__ import annotations

import pytest

from opportune.accounts.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def test_list_shows_own_tokens_without_secrets(sales, sales2, api_as):
    api = api_as(sales)  # issues the "test" token used for the call
    ApiToken.issue(sales, "laptop")
    ApiToken.issue(sales2, "not mine")
    r = api.get("tokens", ordering="label")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [t["label"] for t in rows] == ["laptop", "test"]
    assert set(rows[0]) == {"id", "label", "hint", "created", "last_used", "expires"}
    assert rows[0]["expires"] is None
    test_row = rows[1]
    assert test_row["last_used"] is not None  # this very request used it
    assert rows[0]["last_used"] is None
    assert all(t["hint"].startswith("opp_") and len(t["hint"]) == 12 for t in rows)


def test_create_answers_the_secret_once(outsider, api_as):
    api = api_as(outsider)  # any signed-in user manages their own tokens
    r = api.post("tokens", {"label": "CI"})
    assert r.status_code == 201, r.content
    body = r.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert body["token"].startswith("opp_")
    assert token.key_hash == hash_token(body["token"])
    assert (body["label"], body["hint"], body["last_used"]) == ("CI", body["token"][:12], None)
    assert token.user == outsider
    # the new secret works, and is not shown again
    listed = api_as(None)
    listed.headers["Authorization"] = f"Bearer {body['token']}"
    rows = listed.get("tokens").json()["results"]
    assert {row["label"] for row in rows} == {"CI", "test"}
    assert all("token" not in row for row in rows)


def test_revoke(sales, sales2, api_as):
    api = api_as(sales)
    mine, _raw = ApiToken.issue(sales, "old")
    theirs, _raw = ApiToken.issue(sales2, "theirs")
    assert api.delete(f"tokens/{mine.pk}").status_code == 204
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    r = api.delete(f"tokens/{theirs.pk}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert api.delete("tokens/999999").status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_a_revoked_token_stops_working(sales, api_as):
    api = api_as(sales)
    token = ApiToken.objects.get(user=sales)
    assert api.delete(f"tokens/{token.pk}").status_code == 204
    assert api.get("tokens").status_code == 401


def test_no_token_is_401(db, api_as):
    api = api_as(None)
    assert api.get("tokens").status_code == 401
    assert api.post("tokens", {"label": "x"}).status_code == 401
    assert api.delete("tokens/1").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": "x" * 101}, "label"),
        ({"label": "ok", "user": "manager"}, "user"),
    ],
)
def test_bad_input_is_422(sales, api_as, body, field):
    api = api_as(sales)
    r = api.post("tokens", body)
    assert r.status_code == 422
    assert list(r.json()["error"]["fields"]) == [field]
    assert list(ApiToken.objects.values_list("label", flat=True)) == ["test"]


def test_a_label_with_a_nul_character_is_refused(sales, api_as):
    """As every other text (found by core/tests/test_hostile_input.py)."""
    api = api_as(sales)  # issues the "test" token used for the call
    before = list(ApiToken.objects.values_list("id", "label"))
    r = api.post("tokens", {"label": "lap\x00top"})
    assert r.status_code == 422, r.content
    assert r.json()["error"]["fields"] == {"label": ["Text cannot contain NUL characters."]}
    assert list(ApiToken.objects.values_list("id", "label")) == before
