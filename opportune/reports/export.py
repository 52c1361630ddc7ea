"""A report as a CSV or XLSX file: the same columns and rows as the page and the API, written
by the export engine every list shares (core.export: streamed, formulas neutralised)."""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse

from opportune.core.export import export_rows
from opportune.reports.queries.base import Report


def export(
    report: Report, fmt: str, *, slug: str, title: str
) -> StreamingHttpResponse | FileResponse:
    columns = report.columns
    rows = ([row.get(c.fieldname) for c in columns] for row in report.rows)
    return export_rows(fmt, [c.label for c in columns], rows, filename=slug, title=title)
