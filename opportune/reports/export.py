"""A report as a CSV or XLSX file: the same columns and rows as the page and the API."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from opportune.reports.queries.base import Report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    return value


def _csv_cell(value: Any) -> Any:
    """Text starting like a formula is quoted, so a spreadsheet does not run it."""
    value = _cell(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def as_csv(report: Report, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.label for c in report.columns])
    for row in report.rows:
        writer.writerow([_csv_cell(row.get(c.fieldname)) for c in report.columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def as_xlsx(report: Report, filename: str, title: str) -> HttpResponse:
    from openpyxl import Workbook  # imported here only: most requests never export

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([c.label for c in report.columns])
    for row in report.rows:
        cells = []
        for c in report.columns:
            value = _cell(row.get(c.fieldname))
            if isinstance(value, str) and value[:1] == "=":
                value = "'" + value
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def export(report: Report, fmt: str, *, slug: str, title: str) -> HttpResponse:
    if fmt == "xlsx":
        return as_xlsx(report, slug, title)
    return as_csv(report, slug)
