from opportune.testing import make_item, make_lead, make_rate


def test_lead_to_opportunity_in_foreign_currency_over_the_api(sales, api_as):
    make_item("W1", rate="10")
    make_item("W2", rate="3")
    make_rate("EUR", "USD", "1.1")
    lead = make_lead(sales)
    api = api_as(sales)
    r = api.post(
        f"leads/{lead.name}/make-opportunity",
        {
            "currency": "EUR",
            "items": [
                {"item_code": "W1", "qty": 2, "rate": "10.005"},
                {"item_code": "W2", "qty": 3},
            ],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["total"] == "29.02"
    assert body["base_total"] == "31.92"
    assert body["opportunity_amount"] == "29.02"
    assert body["conversion_rate"] == "1.100000000"
