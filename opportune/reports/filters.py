"""The filters of each report: one definition, read from the page's URL and by the API (so a
bookmark brings the same view back and the API answers the same numbers)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, ClassVar, Literal

from django.http import QueryDict
from django.utils import timezone
from ninja import Schema
from pydantic import Field, field_validator, model_validator

from opportune.core.fields import reject_nul
from opportune.core.pages import validate_dropping_bad
from opportune.reports.queries.base import add_months, month_start


class ReportFilters(Schema):
    """From and to date (both inclusive); each report says which date it filters on and what
    the defaults are (``default_span``: months back from today)."""

    from_date: date | None = None
    to_date: date | None = None
    # the pipeline as it stood at the end of that day (decision 0032); the event reports count
    # what had happened by then
    as_of: date | None = None

    dates_optional: ClassVar[bool] = False  # no dates: no date filter (no default span)
    # counts events by their date: ``as_of`` ends the span on that day (what had happened by
    # then); the others read the opportunities as they stood (reports.snapshots)
    events: ClassVar[bool] = True

    _no_nul = field_validator("*", mode="before")(reject_nul)

    @model_validator(mode="after")
    def _dates_in_order(self) -> ReportFilters:
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError("from_date must not be after to_date")
        return self

    @field_validator("as_of")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and value > timezone.localdate() + timedelta(days=1):
            raise ValueError("as_of must not be in the future")
        return value

    def span(self) -> tuple[date, date]:
        today = self.as_of or timezone.localdate()
        to_date = self.to_date or self.default_to(today)
        if self.events and self.as_of and to_date > self.as_of:
            to_date = self.as_of
        from_date = self.from_date or self.default_from(to_date)
        if from_date > to_date:
            from_date = to_date
        return from_date, to_date

    def default_to(self, today: date) -> date:
        return today

    def snapshot_days(self) -> list[date]:
        """The past days this report reads the kept pipeline of (reports.snapshots)."""
        return [self.as_of] if self.as_of and not self.events else []

    def default_from(self, to_date: date) -> date:
        return add_months(to_date, -12) + (to_date - month_start(to_date))


class LostFilters(ReportFilters):
    """On the date the opportunity was last changed (ERPNext's ``modified``), a year back."""

    lost_reason: Annotated[str | None, Field(max_length=140)] = None
    competitor: Annotated[str | None, Field(max_length=140)] = None
    opportunity_owner: Annotated[str | None, Field(max_length=150)] = None
    territory: Annotated[str | None, Field(max_length=140)] = None
    opportunity_type: Annotated[str | None, Field(max_length=140)] = None
    group_by: Literal["lost_reason", "competitor", "opportunity_owner", "territory"] | None = None
    measure: Literal["count", "amount"] = "count"  # what the monthly trend chart shows


class PipelineFilters(ReportFilters):
    """On the expected closing date (ERPNext's Sales Pipeline Analytics)."""

    events: ClassVar[bool] = False

    status: Literal["Open", "Replied", "Quotation", "Converted"] | None = None
    based_on: Literal["number", "amount"] = "number"
    group_by: Literal["sales_stage", "opportunity_owner", "source"] = "opportunity_owner"
    range: Literal["monthly", "quarterly"] = "monthly"
    opportunity_type: Annotated[str | None, Field(max_length=140)] = None
    source: Annotated[str | None, Field(max_length=140)] = None

    def default_to(self, today: date) -> date:
        return add_months(month_start(today), 6) - timedelta(days=1)

    def default_from(self, to_date: date) -> date:
        return add_months(month_start(to_date), -11)


class SummaryFilters(ReportFilters):
    """On the transaction date, applied only when both are given (as ERPNext): by default
    every opportunity."""

    dates_optional: ClassVar[bool] = True
    events: ClassVar[bool] = False

    based_on: Literal["opportunity_owner", "source", "opportunity_type"] = "opportunity_owner"
    data_based_on: Literal["number", "amount"] = "number"
    status: list[Literal["Open", "Replied", "Quotation", "Converted", "Lost", "Closed"]] | None = (
        None
    )
    source: Annotated[str | None, Field(max_length=140)] = None
    opportunity_type: Annotated[str | None, Field(max_length=140)] = None

    @field_validator("status", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()] or None
        if isinstance(value, list):
            return [p.strip() for v in value for p in str(v).split(",") if p.strip()] or None
        return value


class FunnelFilters(ReportFilters):
    """Each step counted on its own creation date, the last month by default (ERPNext)."""

    def default_from(self, to_date: date) -> date:
        return add_months(to_date, -1)


class ForecastFilters(ReportFilters):
    """On the expected closing month (pipeline) and the order date (won): by default this
    month and the five after it."""

    events: ClassVar[bool] = False

    opportunity_owner: Annotated[str | None, Field(max_length=150)] = None
    group_by: Literal["month", "opportunity_owner"] = "month"

    def span(self) -> tuple[date, date]:
        start, end = super().span()
        return month_start(start), add_months(month_start(end), 1) - timedelta(days=1)

    def default_to(self, today: date) -> date:
        return add_months(month_start(today), 6) - timedelta(days=1)

    def default_from(self, to_date: date) -> date:
        return add_months(month_start(to_date), -5)


class FirstResponseFilters(ReportFilters):
    """On the opportunity's creation date, the last 30 days (ERPNext)."""

    group_by: Literal["date", "opportunity_owner"] = "date"

    def default_from(self, to_date: date) -> date:
        return to_date - timedelta(days=30)


CHANGE_BUCKETS = Literal[
    "new",
    "reopened",
    "won",
    "lost",
    "closed",
    "moved_forward",
    "moved_back",
    "probability_changed",
    "amount_up",
    "amount_down",
    "slipped",
]


class PipelineChangesFilters(ReportFilters):
    """The open pipeline at the end of ``from_date`` against the end of ``to_date`` (by default
    the last 30 days); ``bucket`` lists the opportunities behind one change."""

    bucket: CHANGE_BUCKETS | None = None

    def snapshot_days(self) -> list[date]:
        return list(self.span())

    def default_from(self, to_date: date) -> date:
        return to_date - timedelta(days=30)


class ForecastAccuracyFilters(ReportFilters):
    """The months from ``from_date``'s to ``to_date``'s (by default the twelve before this
    one); ``opportunity_owner`` narrows to one owner; rows per month or per owner."""

    opportunity_owner: Annotated[str | None, Field(max_length=150)] = None
    group_by: Literal["month", "opportunity_owner"] = "month"

    def span(self) -> tuple[date, date]:
        start, end = super().span()
        return month_start(start), add_months(month_start(end), 1) - timedelta(days=1)

    def default_to(self, today: date) -> date:
        return month_start(today) - timedelta(days=1)

    def default_from(self, to_date: date) -> date:
        return add_months(month_start(to_date), -11)


def read_report_filters(
    schema: type[ReportFilters], query: QueryDict
) -> tuple[ReportFilters, dict[str, str]]:
    """The filters of a page's URL; a bad value is dropped and named (the page says which field
    is wrong and shows the rest)."""
    data: dict[str, Any] = {}
    for key, info in schema.model_fields.items():
        values = [v for v in query.getlist(key) if v.strip()]
        if not values:
            continue
        is_list = "list" in str(info.annotation)
        data[key] = values if is_list else values[-1]
    return validate_dropping_bad(schema, data, whole="from_date")
