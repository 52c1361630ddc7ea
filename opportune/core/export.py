"""Files of rows for a spreadsheet: CSV and XLSX, streamed, with formulas neutralised.

One engine for every export (a list's current rows, a report): the rows come from an iterator
(a queryset's ``values_list(...).iterator()``), so a million rows never sit in memory at once:
CSV is written line by line into the response as the client reads it; XLSX is written row by
row by openpyxl's write-only workbook into a temporary file on disk, which is then streamed.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` would be run as a formula by a spreadsheet
(CSV injection): it is written with a leading apostrophe, as OWASP advises. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000  # rows read from the database at a time
CENTS = Decimal("0.01")
FORMULA_FIRST = frozenset(FORMULA_STARTS)


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: empty for None, numbers as numbers, times in the
    company's time zone without it (spreadsheets know no zones), formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    return neutralise(value)


def _csv_text(value: Any) -> Any:
    """A value as CSV text. Called for every cell of a million-row export: the common types
    first, by exact type (a str or None costs one comparison)."""
    kind = type(value)
    if kind is str:
        return "'" + value if value and value[0] in FORMULA_FIRST else value
    if value is None:
        return ""
    if kind is int or kind is bool or kind is float:
        return value
    if kind is Decimal:  # "1250.50": no binary float on the way, no 4 zeros
        cents = value.quantize(CENTS) if value.is_finite() else value
        return str(cents if cents == value else value)
    value = cell(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Line:
    """A file-like object whose write returns what it was given (csv.writer into a stream)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file, line by line, UTF-8 with a byte order mark (so Excel reads accents)."""
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([neutralise(h) for h in header])).encode()
    for row in rows:
        yield writer.writerow([_csv_text(v) for v in row]).encode()


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str, title: str
) -> FileResponse:
    from openpyxl import Workbook  # imported here only: most requests never export

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31] or "Sheet")
    sheet.append([neutralise(h) for h in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    book.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)


def export_rows(
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    filename: str,
    title: str = "",
) -> StreamingHttpResponse | FileResponse:
    """The rows as a ``fmt`` file ("csv" or "xlsx") to download."""
    if fmt == "xlsx":
        return xlsx_response(header, rows, filename, title or filename)
    return csv_response(header, rows, filename)


def ordered(rows: QuerySet[Any], ordering: str | None, orderings: Sequence[str]) -> QuerySet[Any]:
    """``rows`` in the list's order (``ordering`` as its URL says, one of ``orderings``, else
    newest change first), ties broken by name, empty values last: the order the page shows."""
    key = (ordering or "").strip()
    if key.lstrip("-") not in orderings:
        key = "-modified"
    field = F(key.lstrip("-"))
    if key.startswith("-"):
        return rows.order_by(field.desc(nulls_last=True), "-pk")
    return rows.order_by(field.asc(nulls_last=True), "pk")


def export_queryset(
    fmt: str,
    rows: QuerySet[Any],
    columns: Sequence[tuple[str, str]],
    *,
    filename: str,
    title: str = "",
) -> StreamingHttpResponse | FileResponse:
    """``rows`` as a file: ``columns`` are (label, path for ``values_list``), read from the
    database a chunk at a time."""
    values = rows.values_list(*(path for _, path in columns)).iterator(chunk_size=CHUNK)
    return export_rows(fmt, [label for label, _ in columns], values, filename=filename, title=title)
