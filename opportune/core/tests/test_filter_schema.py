"""core.filters.FilterSchema: the condition ninja's FilterSchema builds, from the filters given."""

from __future__ import annotations

from typing import Annotated

import pytest
from django.db.models import Q
from ninja import FilterSchema as NinjaFilterSchema
from ninja.filter_schema import FilterLookup

from opportune.core.filters import FilterSchema
from opportune.crm.filters import OpportunityFilters

CASES = [
    {},
    {"status": "Open"},
    {"status": "Open,Replied", "sales_stage": "Qualification", "probability__gte": "20"},
    {"modified_on__gte": "2026-01-01", "opportunity_owner": "nobody", "currency": "EUR"},
]


class NinjasOpportunityFilters(OpportunityFilters, NinjaFilterSchema):  # ninja's connection
    _connect_fields = NinjaFilterSchema._connect_fields


@pytest.mark.parametrize("given", CASES, ids=range(len(CASES)))
def test_the_condition_is_ninjas(given, db):
    assert OpportunityFilters(**given).get_filter_expression() == (
        NinjasOpportunityFilters(**given).get_filter_expression()
    )


def test_a_filter_whose_none_counts_still_filters():
    class Filters(FilterSchema):
        name: Annotated[str | None, FilterLookup("name")] = None
        closed: Annotated[str | None, FilterLookup("closed_on", ignore_none=False)] = None

    assert Filters().get_filter_expression() == Q(closed_on=None)
    assert Filters(name="x").get_filter_expression() == Q(name="x") & Q(closed_on=None)
