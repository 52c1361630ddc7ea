"""The timeline names users by username (API.md), in field changes too."""

from opportune.crm import services
from opportune.testing import make_opportunity


def test_owner_changes_on_the_timeline_name_users(sales, sales2, api_as):
    opp = make_opportunity(sales)
    opp = services.update_opportunity(
        opp, data={"opportunity_owner": "sales"}, version=opp.version, by=sales
    )
    services.update_opportunity(
        opp, data={"opportunity_owner": "sales2"}, version=opp.version, by=sales2
    )
    timeline = api_as(sales).get(f"opportunities/{opp.name}/timeline").json()
    owner_changes = [
        (c["old"], c["new"], e["user"])
        for e in timeline
        if e["kind"] == "change"
        for c in e["data"]["changes"]
        if c["field"] == "opportunity_owner"
    ]
    assert owner_changes == [("sales", "sales2", "sales2"), (None, "sales", "sales")]
