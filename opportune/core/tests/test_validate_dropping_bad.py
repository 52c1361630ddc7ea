"""core.pages.validate_dropping_bad: what the list pages and the report pages read their URL's
filters with: a bad value is dropped and named, the rest kept, and a page never loops."""

from __future__ import annotations

from datetime import date

import pydantic
import pytest

from opportune.core.pages import validate_dropping_bad


class Filters(pydantic.BaseModel):
    status: str | None = None
    from_date: date | None = None
    to_date: date | None = None

    @pydantic.model_validator(mode="after")
    def in_order(self) -> Filters:
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError("from_date is after to_date")
        return self


def test_a_bad_value_is_dropped_and_named_and_the_rest_kept():
    filters, errors = validate_dropping_bad(Filters, {"status": "Open", "from_date": "never"})
    assert filters.status == "Open" and filters.from_date is None
    assert list(errors) == ["from_date"]


@pytest.mark.parametrize("whole", ["__all__", "from_date"])
def test_an_error_about_no_one_field_ends_with_the_defaults_or_the_named_drop(whole):
    data = {"status": "Open", "from_date": "2026-12-31", "to_date": "2026-01-01"}
    filters, errors = validate_dropping_bad(Filters, data, whole=whole)
    assert whole in errors
    if whole == "from_date":  # dropping it mends the rest
        assert filters.status == "Open" and filters.to_date == date(2026, 1, 1)
    else:  # nothing to drop: the defaults, not a loop
        assert filters == Filters()
