"""A name no document can have (a NUL byte) is a plain 404 on every document door, never a 500
(PostgreSQL refuses NUL in text)."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "quotations",
        "sales-orders",
        "supplier-quotations",
        "requests-for-quotation",
        "suppliers",
        "opportunities",
        "leads",
        "customers",
        "contacts",
    ],
)
def test_nul_in_a_document_name_is_not_found(manager, api_as, path):
    r = api_as(manager).get(f"{path}/X%00Y")
    assert r.status_code == 404, r.content
    assert r.json()["error"]["code"] == "not_found"
