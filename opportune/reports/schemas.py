"""The JSON shapes of the reports (API.md) and of the sales targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field, field_validator

from opportune.core.fields import reject_nul


class ColumnOut(Schema):
    fieldname: str
    label: str
    fieldtype: str


class DatasetOut(Schema):
    name: str
    values: list[float]


class ChartOut(Schema):
    type: str
    labels: list[str]
    datasets: list[DatasetOut]


class ReportOut(Schema):
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    chart: ChartOut | None
    summary: list[dict[str, Any]]
    message: str = ""


class SalesTargetOut(Schema):
    id: int
    user: str
    month: date
    amount: Decimal
    version: int

    @staticmethod
    def resolve_user(obj: Any) -> str:
        return str(obj.user.username)


class SalesTargetIn(Schema):
    user: str = Field(max_length=150)
    month: date = Field(description="Any day of the month; stored as its first day.")
    amount: Decimal = Field(ge=0, max_digits=20, decimal_places=4)
    version: int | None = Field(None, ge=1, le=2**31 - 1)

    _no_nul = field_validator("*", mode="before")(reject_nul)
