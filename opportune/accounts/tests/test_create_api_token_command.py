from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from opportune.accounts.models import ApiToken, hash_token


def test_command_prints_a_token_once_and_stores_only_its_hash(sales, api_as):
    out = StringIO()
    call_command("create_api_token", "sales", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=sales)
    assert raw.startswith("opp_")
    assert token.key_hash == hash_token(raw)
    assert raw not in (token.key_hash, token.hint)
    client = api_as(None)
    r = client.get("opportunities", headers=None)
    assert r.status_code == 401
    client.headers["Authorization"] = f"Bearer {raw}"
    assert client.get("opportunities").status_code == 200


def test_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="User 'nobody' does not exist"):
        call_command("create_api_token", "nobody")
