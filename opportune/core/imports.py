"""Importing rows from CSV and XLSX files through the services (decision 0030).

One engine for every importable doctype. The apps that own a doctype register an ``Importer``
(``register_importer`` in their ``AppConfig.ready()``): its columns (field names, labels, and
the headers that name them elsewhere: our exports, ERPNext's labels and field names), who may
import it, and ``create(data, by)``: the same service call the pages make, so a row gets the
same validation, naming and history (recorded as coming through the door "import"). An
importer may add ``create_many``, its service's bulk twin (the same rules, a chunk's reads and
writes in a few statements: crm's ``create_leads``); the engine then passes it chunks of
documents instead of one document at a time.

The steps: ``read_upload`` checks the file (size, encoding, a broken or formula-holding
workbook: a clear ``ValidationError`` on ``file``, nothing stored) and keeps its rows as UTF-8
CSV text on an ``ImportJob``; ``suggest_mapping`` proposes a field per column (the user's last
mapping of that header first); ``start_pass`` runs the dry run (each document in a savepoint
rolled back) or the import: "all" in one transaction rolled back on any error, "valid" a
savepoint per document. Passes run in batches (``run_batch``), each one a durable job that
commits its outcomes and progress and queues the next; an all-or-nothing import is one job.
Small files run in the request.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, models, transaction
from django.utils import timezone

from opportune.core.audit import IMPORT, door
from opportune.core.bulk import insert_rows
from opportune.core.errors import DomainError, ValidationError
from opportune.core.export import FORMULA_STARTS, csv_lines
from opportune.core.jobs import enqueue_job
from opportune.core.models import ImportJob, ImportRow, naming_rehearsal

if TYPE_CHECKING:
    from opportune.core.users import AnyUser, User

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL = 10_000  # characters
BATCH_ROWS = 5_000  # rows a job runs before it commits and queues the next
CHUNK_DOCUMENTS = 1_000  # documents an importer's create_many checks and writes at once
SYNC_ROWS = 100  # a file this small runs in the request
KEY = "__key__"  # a column naming the document its row belongs to (an export's "ID")
IGNORE = ""

# --- importers ---------------------------------------------------------------------------------


CreateMany = Callable[[list[dict[str, Any]], "User", bool], Sequence[models.Model | DomainError]]


@dataclass(frozen=True)
class Column:
    """A field an importer takes: ``name`` is the key of the service's data (of an item row's
    when ``child``), ``aliases`` the other headers that name it."""

    name: str
    label: str
    kind: str = "text"  # text, bool, decimal, int, date, datetime
    required: bool = False
    child: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Importer:
    doctype: str
    label: str  # plural, for the page: "Leads"
    columns: tuple[Column, ...]
    create: Callable[[dict[str, Any], User], models.Model]  # (data, by) -> the new document
    may_import: Callable[[AnyUser], bool]
    # (rows' data, by, write) -> per row the new document or why it was refused: the service's
    # bulk twin (the same rules, a batch's reads and writes in a few statements); without it
    # each row goes through ``create``
    create_many: CreateMany | None = None
    key_headers: tuple[str, ...] = ("ID", "name")  # group rows into one document
    ignored_headers: tuple[str, ...] = ("Modified", "modified", "creation", "Created On")
    child_key: str = "items"  # the list of item rows in the service's data
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_children(self) -> bool:
        return any(c.child for c in self.columns)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


_IMPORTERS: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    """An app offers a doctype for import (called in its ``AppConfig.ready()``)."""
    _IMPORTERS[importer.doctype] = importer


def importers_for(user: AnyUser) -> list[Importer]:
    return [i for i in _IMPORTERS.values() if i.may_import(user)]


def importer_for(user: AnyUser, doctype: str) -> Importer:
    importer = _IMPORTERS.get(doctype)
    if importer is None or not importer.may_import(user):
        raise ValidationError.for_field("doctype", f"You may not import {doctype or 'that'}.")
    return importer


def label_of(model: type[models.Model], name: str) -> str:
    """A model field's label as the pages show it (its verbose name, title-cased)."""
    try:
        found = model._meta.get_field(name)
    except Exception:  # a field of the service's data only
        return name.replace("_", " ").title()
    return str(getattr(found, "verbose_name", name)).title()


def model_kind(model: type[models.Model], name: str) -> str:
    """The spreadsheet kind of a model's field: how its cells are read."""
    try:
        f = model._meta.get_field(name)
    except Exception:  # a field of the service's data only (party_name, item_code)
        return "text"
    if isinstance(f, models.BooleanField):
        return "bool"
    if isinstance(f, models.DecimalField | models.FloatField):
        return "decimal"
    if isinstance(f, models.DateTimeField):
        return "datetime"
    if isinstance(f, models.DateField):
        return "date"
    if isinstance(f, models.IntegerField) and not f.is_relation:
        return "int"
    return "text"


def columns(
    model: type[models.Model],
    names: Iterable[str],
    erpnext: Mapping[str, str],
    *,
    required: Iterable[str] = (),
    child: bool = False,
    labels: Mapping[str, str] | None = None,
) -> tuple[Column, ...]:
    """An importer's columns of ``model``'s fields ``names``: each labelled as on the pages
    (the model's verbose name unless ``labels`` says), known by ERPNext's labels too
    (``erpnext``: ERPNext's label -> our field)."""
    must = set(required)
    return tuple(
        Column(
            name,
            (labels or {}).get(name) or label_of(model, name),
            kind=model_kind(model, name),
            required=name in must,
            child=child,
            aliases=tuple(title for title, field in erpnext.items() if field == name),
        )
        for name in names
    )


# an item row's columns (ERPNext's "Label (Items)" headers are recognised by the reader)
ERPNEXT_ITEM_ROW = {
    "Item Code": "item_code",
    "Item": "item_code",
    "Quantity": "qty",
    "Qty": "qty",
    "Rate": "rate",
    "UOM": "uom",
    "Item Name": "item_name",
    "Description": "description",
}


def item_row_columns(model: type[models.Model]) -> tuple[Column, ...]:
    """The columns of a transaction's item rows (core.transactions.TransactionItem): the same
    for an opportunity's and a quotation's items."""
    return columns(
        model,
        ("item_code", "qty", "rate", "uom", "item_name", "description"),
        ERPNEXT_ITEM_ROW,
        child=True,
        labels={"item_code": "Item Code", "qty": "Quantity", "uom": "UOM"},
    )


# --- reading a file ----------------------------------------------------------------------------
def _file_error(message: str) -> ValidationError:
    return ValidationError.for_field("file", message)


@dataclass
class Table:
    header: list[str]
    rows: bytes  # UTF-8 CSV of the data rows
    total: int


def read_upload(filename: str, data: bytes) -> Table:
    """The header and rows of an uploaded CSV or XLSX file, or a ValidationError on ``file``
    saying what is wrong with it."""
    if not data:
        raise _file_error("The file is empty.")
    if len(data) > MAX_BYTES:
        raise _file_error(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it.")
    lower = filename.lower()
    if data[:4] == b"PK\x03\x04" or lower.endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data)
    elif lower.endswith((".csv", ".txt")) or not lower.rpartition(".")[1]:
        rows = _csv_rows(data)
    else:
        raise _file_error("Upload a CSV (.csv) or Excel workbook (.xlsx) file.")
    return _table(rows)


def _table(rows: Iterator[list[str]]) -> Table:
    header: list[str] | None = None
    for cells in rows:
        if any(cells):
            header = cells
            break
    if header is None:
        raise _file_error("The file has no rows.")
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise _file_error(f"The file has more than {MAX_COLUMNS} columns.")
    if any(not h for h in header):
        place = next(i for i, h in enumerate(header) if not h)
        raise _file_error(f"Column {_letter(place)} has no title in the first row.")
    seen: set[str] = set()
    for title in header:
        if title.casefold() in seen:
            raise _file_error(f"Two columns are titled '{title}'.")
        seen.add(title.casefold())
    width = len(header)
    out = io.StringIO()
    writer = csv.writer(out)
    total = 0
    for cells in rows:
        if not any(cells):
            continue
        if any(cells[width:]):
            raise _file_error(f"Row {total + 2} has values beyond the titled columns.")
        total += 1
        if total > MAX_ROWS:
            raise _file_error(f"The file has more than {MAX_ROWS:,} rows: split it.")
        writer.writerow((cells + [""] * width)[:width])
    if not total:
        raise _file_error("The file has a header row but no data rows.")
    return Table(header=header, rows=out.getvalue().encode(), total=total)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data[:MAX_BYTES]:
        raise _file_error("This is not a text (CSV) file: it holds binary data.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(
            f"The file is not UTF-8 text (byte {data[exc.start]:#04x} at position {exc.start}). "
            "Save it as 'CSV UTF-8' and upload it again."
        ) from exc
    first = text[:4096].split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            if any(len(c) > MAX_CELL for c in cells):
                raise _file_error(
                    f"Row {reader.line_num} has a cell longer than {MAX_CELL:,} characters."
                )
            yield [c.strip() for c in cells]
    except csv.Error as exc:
        raise _file_error(f"The CSV file cannot be read at line {reader.line_num}: {exc}.") from exc


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported here only: few requests import

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        raise _file_error(
            "The file is not a readable Excel workbook (.xlsx): it is damaged or of another "
            "kind. Open it in a spreadsheet, save it as .xlsx or CSV UTF-8, and upload it again."
        ) from exc
    except Exception as exc:  # openpyxl and its XML parser raise many kinds
        raise _file_error(f"The Excel workbook cannot be read ({type(exc).__name__}).") from exc
    try:
        for number, row in enumerate(sheet.iter_rows(), start=1):
            cells = []
            for place, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f":
                    raise _file_error(
                        f"Cell {_letter(place)}{number} holds a formula ({str(cell.value)[:40]}): "
                        "formulas are not imported. Copy the sheet and paste it as values only."
                    )
                cells.append(_xlsx_text(cell.value))
            if any(len(c) > MAX_CELL for c in cells):
                raise _file_error(f"Row {number} has a cell longer than {MAX_CELL:,} characters.")
            yield cells
    except ValidationError:
        raise
    except Exception as exc:
        raise _file_error(
            "The Excel workbook is damaged and cannot be read to its end "
            f"({type(exc).__name__}). Save it again as .xlsx or CSV UTF-8."
        ) from exc
    finally:
        book.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


# --- the columns' mapping ----------------------------------------------------------------------
def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text).strip().casefold()


def _titles(importer: Importer) -> dict[str, str]:
    """Every header the importer knows -> its column (KEY, IGNORE or a field)."""
    known: dict[str, str] = {}
    for column in importer.columns:
        target = f"items.{column.name}" if column.child else column.name
        names = (column.name, column.label, *column.aliases)
        for title in names:
            known.setdefault(_norm(title), target)
        if column.child:  # ERPNext's export names a child's column "Label (Items)"
            known.setdefault(_norm(f"{column.label} ({importer.child_key})"), target)
    for title in importer.key_headers:
        known.setdefault(_norm(title), KEY)
    for title in importer.ignored_headers:
        known.setdefault(_norm(title), IGNORE)
    return known


def targets(importer: Importer) -> list[tuple[str, str]]:
    """What a column may be mapped to: (value, label)."""
    options = [
        (f"items.{c.name}" if c.child else c.name, f"{c.label} (item row)" if c.child else c.label)
        for c in importer.columns
    ]
    return [*options, (KEY, "Document ID (groups the rows of one document)")]


def last_mapping(user: User, doctype: str) -> dict[str, str]:
    job = (
        ImportJob.objects.filter(user=user, doctype=doctype)
        .exclude(status=ImportJob.Status.MAPPING)
        .order_by("-created")
        .values_list("mapping", flat=True)
        .first()
    )
    return dict(job or {})


def suggest_mapping(
    importer: Importer, header: Sequence[str], remembered: Mapping[str, str]
) -> dict[str, str | None]:
    """A field per column title: the user's last mapping of that title, else a name the
    importer knows; None when the title is not recognised (the user must choose)."""
    known = _titles(importer)
    allowed = {value for value, _ in targets(importer)} | {IGNORE}
    suggested: dict[str, str | None] = {}
    for title in header:
        choice = remembered.get(title)
        if choice is None or choice not in allowed:
            choice = known.get(_norm(title))
        suggested[title] = choice
    return suggested


def check_mapping(
    importer: Importer, header: Sequence[str], mapping: Mapping[str, Any]
) -> dict[str, str]:
    """The mapping a user chose, checked: every column mapped or ignored, a field at most once,
    every required field mapped. Else a ValidationError naming the columns."""
    allowed = {value for value, _ in targets(importer)} | {IGNORE}
    problems: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for title in header:
        choice = mapping.get(title)
        if not isinstance(choice, str) or choice not in allowed:
            problems[title] = [
                f"Column '{title}' is not recognised: map it to a field or choose Ignore."
            ]
            continue
        if choice and choice in used:
            problems[title] = [f"Columns '{used[choice]}' and '{title}' are mapped to one field."]
            continue
        if choice:
            used[choice] = title
        clean[title] = choice
    for column in importer.columns:
        target = f"items.{column.name}" if column.child else column.name
        if column.required and target not in used:
            problems[target] = [f"No column is mapped to {column.label}, which is required."]
    if problems:
        raise ValidationError("Some columns are not mapped.", fields=problems)
    return clean


# --- a cell's value ----------------------------------------------------------------------------
_NUMBERLIKE = re.compile(r"[+-][\d\s().,/-]*")
TRUE = {"1", "yes", "y", "true", "t", "on", "x"}
FALSE = {"0", "no", "n", "false", "f", "off", ""}


def cell_value(column: Column, text: str) -> Any:
    """A cell's text as the service's value (None when empty); ValueError with a message."""
    if text.startswith("'") and text[1:2] in FORMULA_STARTS:
        text = text[1:]  # our exports' (and spreadsheets') mark of plain text
    if text[:1] in FORMULA_STARTS and not _NUMBERLIKE.fullmatch(text):
        raise ValueError("This looks like a spreadsheet formula, which is not imported.")
    if text == "":
        return None
    kind = column.kind
    if kind == "bool":
        low = text.casefold()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise ValueError(f"'{text}' is not yes or no.")
    if kind == "datetime":  # in the current time zone unless the text names one
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a date and time (YYYY-MM-DD HH:MM).") from None
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    if kind == "date":
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"'{text}' is not a date (YYYY-MM-DD).") from None
    if kind == "int":
        try:
            return int(Decimal(text))
        except Exception:
            raise ValueError(f"'{text}' is not a whole number.") from None
    if kind == "decimal":
        return text.replace(",", "") if re.fullmatch(r"-?[\d,]+(\.\d+)?", text) else text
    return text


# --- documents of the rows ---------------------------------------------------------------------
@dataclass
class Doc:
    first: int  # file row number
    last: int
    data: dict[str, Any]
    errors: dict[str, list[str]]
    key: str = ""


def _plan(importer: Importer, header: Sequence[str], mapping: Mapping[str, str]) -> list[Any]:
    plan: list[Any] = []
    for title in header:
        target = mapping.get(title, IGNORE)
        if target in (IGNORE, KEY):
            plan.append(target)
        elif target.startswith("items."):
            plan.append(importer.column(target[6:]) and ("child", importer.column(target[6:])))
        else:
            plan.append(("parent", importer.column(target)))
    return plan


def documents(job: ImportJob, importer: Importer, start: int = 0) -> Iterator[Doc]:
    """The documents of the job's rows from data row ``start`` (0-based): a document's item
    rows follow it (the same ID, or no parent value)."""
    plan = _plan(importer, job.header, job.mapping)
    reader = csv.reader(io.StringIO(bytes(job.rows).decode()))
    current: Doc | None = None
    for index, cells in enumerate(reader):
        if index < start:
            continue
        number = index + 2  # the header is row 1
        parent: dict[str, Any] = {}
        child: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        key = ""
        for step, text in zip(plan, cells, strict=False):
            if step == IGNORE or not step:
                continue
            if step == KEY:
                key = text
                continue
            side, column = step
            try:
                value = cell_value(column, text)
            except ValueError as exc:
                label = column.name if side == "parent" else f"{column.name} (row {number})"
                errors.setdefault(label, []).append(str(exc))
                continue
            if value is not None:
                (parent if side == "parent" else child)[column.name] = value
        continues = current is not None and (
            (key and key == current.key) or (not key and not parent and not current.key)
        )
        if current is not None and continues and importer.has_children:
            current.last = number
            for name, messages in errors.items():
                current.errors.setdefault(name, []).extend(messages)
            if child:
                current.data[importer.child_key].append(child)
            continue
        if current is not None:
            yield current
        data = {**importer.defaults, **parent}
        if importer.has_children:
            data[importer.child_key] = [child] if child else []
        current = Doc(first=number, last=number, data=data, errors=errors, key=key)
    if current is not None:
        yield current


def _row_errors(doc: Doc, fields: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A service's field errors, an item row's named by its file row (``items[2].qty``)."""
    out: dict[str, list[str]] = {}
    for name, messages in fields.items():
        found = re.fullmatch(r"items\[(\d+)\]\.?(.*)", name)
        if found:
            name = f"{found.group(2) or 'item'} (row {doc.first + int(found.group(1))})"
        out.setdefault(name or "row", []).extend(messages)
    return out


class _RollBack(Exception):
    pass


def _import_one(
    importer: Importer, doc: Doc, by: User, *, keep: bool
) -> tuple[str, dict[str, list[str]]]:
    """Create one document in a savepoint (rolled back unless ``keep``): (name, errors)."""
    if doc.errors:
        return "", doc.errors
    name = ""
    try:
        with transaction.atomic():
            created = importer.create(dict(doc.data), by)
            name = str(created.pk)
            if not keep:
                raise _RollBack
    except _RollBack:
        pass
    except DomainError as exc:
        return "", _row_errors(doc, exc.fields) or {"row": [exc.message]}
    except (DatabaseError, TypeError, ValueError, LookupError) as exc:  # not foreseen: this row
        return "", {"row": [f"The row could not be saved ({type(exc).__name__})."]}
    return name, {}


def _import_many(
    importer: Importer, docs: list[Doc], by: User, *, keep: bool
) -> list[tuple[str, dict[str, list[str]]]]:
    """Create the documents of a chunk at once through the importer's ``create_many`` (a dry
    run writes nothing and names nothing): (name, errors) per document, as ``_import_one``
    would answer. Should the database refuse the chunk's writes, the chunk is rolled back and
    its documents go one by one through ``create``, which names the one refused."""
    assert importer.create_many is not None
    ready = [doc for doc in docs if not doc.errors]
    try:
        with transaction.atomic():
            made = importer.create_many([dict(doc.data) for doc in ready], by, keep)
    except DatabaseError:
        return [_import_one(importer, doc, by, keep=keep) for doc in docs]
    answers = dict(zip((id(doc) for doc in ready), made, strict=True))
    out: list[tuple[str, dict[str, list[str]]]] = []
    for doc in docs:
        if doc.errors:
            out.append(("", doc.errors))
            continue
        answer = answers[id(doc)]
        if isinstance(answer, DomainError):
            out.append(("", _row_errors(doc, answer.fields) or {"row": [answer.message]}))
        else:
            out.append((str(answer.pk) if keep else "", {}))
    return out


def _import_docs(
    importer: Importer, docs: Iterable[Doc], by: User, *, keep: bool
) -> Iterator[tuple[Doc, str, dict[str, list[str]]]]:
    """Each document's (name, errors): in chunks through ``create_many`` when the importer
    has one, else one by one."""
    if importer.create_many is None:
        for doc in docs:
            yield (doc, *_import_one(importer, doc, by, keep=keep))
        return
    chunk: list[Doc] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) >= CHUNK_DOCUMENTS:
            yield from _chunk_outcomes(importer, chunk, by, keep=keep)
            chunk = []
    if chunk:
        yield from _chunk_outcomes(importer, chunk, by, keep=keep)


def _chunk_outcomes(
    importer: Importer, chunk: list[Doc], by: User, *, keep: bool
) -> Iterator[tuple[Doc, str, dict[str, list[str]]]]:
    answers = _import_many(importer, chunk, by, keep=keep)
    for doc, (name, errors) in zip(chunk, answers, strict=True):
        yield doc, name, errors


def _outcome(
    job: ImportJob, doc: Doc, name: str, errors: dict[str, list[str]], ok: str
) -> dict[str, Any]:
    """An ``ImportRow``'s columns (no model instance: a batch writes thousands)."""
    return {
        "job_id": job.pk,
        "row": doc.first,
        "last_row": doc.last,
        "outcome": str(ImportRow.Outcome.ERROR if errors else ok),
        "name": name,
        "errors": errors,
    }


def run_batch(job_id: int, start: int, *, queue: bool) -> int | None:
    """Run the job's current pass over the documents from data row ``start``: a batch of
    about BATCH_ROWS rows (all of them for all-or-nothing). Answers the next batch's start,
    or None when the pass is over; with ``queue``, the next batch is queued as a job."""
    job = ImportJob.objects.select_related("user").select_for_update().get(pk=job_id)
    if job.status not in (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING):
        return None
    importer = _IMPORTERS[job.doctype]
    dry = job.status == ImportJob.Status.CHECKING
    everything = not dry and job.mode == ImportJob.Mode.ALL
    outcomes: list[dict[str, Any]] = []
    ok = ImportRow.Outcome.VALID if dry else ImportRow.Outcome.CREATED
    next_start: int | None = None
    with door(IMPORT):
        if everything:
            outcomes = _all_or_nothing(job, importer)
        else:
            batch: list[Doc] = []
            for doc in documents(job, importer, start):
                if doc.first - 2 - start >= BATCH_ROWS:
                    next_start = doc.first - 2
                    break
                batch.append(doc)
            # a dry run's documents are rolled back: their names use up no number
            with naming_rehearsal() if dry else nullcontext():
                for doc, name, errors in _import_docs(importer, batch, job.user, keep=not dry):
                    outcomes.append(_outcome(job, doc, name, errors, ok))
    insert_rows(ImportRow, outcomes)
    job.processed = job.total if next_start is None else next_start
    failed = sum(1 for o in outcomes if o["outcome"] == ImportRow.Outcome.ERROR)
    job.failed += failed
    job.succeeded += sum(1 for o in outcomes if o["outcome"] == ok)
    if next_start is None:
        job.finished = timezone.now()
        if dry:
            job.status = ImportJob.Status.CHECKED
        elif everything and failed:
            job.status = ImportJob.Status.FAILED
            job.message = f"{failed} document(s) have errors: nothing was imported."
        else:
            job.status = ImportJob.Status.DONE
    job.save(update_fields=["processed", "failed", "succeeded", "status", "finished", "message"])
    if next_start is not None and queue:
        enqueue_job(
            "core.import_rows", key=f"import:{job.pk}:{job.status}:{next_start}", **_args(job)
        )
    return next_start


def _args(job: ImportJob) -> dict[str, Any]:
    return {"import_id": job.pk, "start": job.processed}


def _all_or_nothing(job: ImportJob, importer: Importer) -> list[dict[str, Any]]:
    """Every document in one transaction: kept when none has an error, else rolled back (the
    outcomes still say each document's errors, and the valid ones are 'skipped')."""
    outcomes: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            docs = documents(job, importer)
            for doc, name, errors in _import_docs(importer, docs, job.user, keep=True):
                outcomes.append(_outcome(job, doc, name, errors, ImportRow.Outcome.CREATED))
            if any(o["outcome"] == ImportRow.Outcome.ERROR for o in outcomes):
                raise _RollBack
    except _RollBack:
        for o in outcomes:
            if o["outcome"] != ImportRow.Outcome.ERROR:
                o["outcome"], o["name"] = str(ImportRow.Outcome.SKIPPED), ""
    return outcomes


# --- the steps, for the pages ------------------------------------------------------------------
def upload(*, doctype: str, filename: str, data: bytes, by: User) -> ImportJob:
    importer_for(by, doctype)
    table = read_upload(filename, data)
    return ImportJob.objects.create(
        user=by,
        doctype=doctype,
        filename=filename[:255],
        header=table.header,
        rows=table.rows,
        total=table.total,
    )


@transaction.atomic  # its row lock needs a transaction (a command has none)
def start_pass(job: ImportJob, *, mapping: Mapping[str, Any] | None, mode: str, by: User) -> None:
    """The dry run (``mode`` "check", with the columns' mapping) or the import ("all" or
    "valid", after a dry run). Small files run now; larger ones as jobs."""
    importer = importer_for(by, job.doctype)
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if mode == "check":
        if locked.status not in (ImportJob.Status.MAPPING, ImportJob.Status.CHECKED):
            raise ValidationError.for_field("status", "This import is already running or done.")
        locked.mapping = check_mapping(importer, locked.header, mapping or {})
        locked.status = ImportJob.Status.CHECKING
    elif mode in ImportJob.Mode.values:
        if locked.status != ImportJob.Status.CHECKED:
            raise ValidationError.for_field("status", "Check the rows (the dry run) first.")
        locked.status, locked.mode = ImportJob.Status.IMPORTING, mode
    else:
        raise ValidationError.for_field("mode", "Choose all or nothing, or only the valid rows.")
    ImportRow.objects.filter(job=locked).delete()
    locked.processed = locked.succeeded = locked.failed = 0
    locked.message, locked.finished = "", None
    locked.save()
    if locked.total <= SYNC_ROWS:
        start: int | None = 0
        while start is not None:
            start = run_batch(locked.pk, start, queue=False)
    else:
        enqueue_job(
            "core.import_rows", key=f"import:{locked.pk}:{locked.status}:0", **_args(locked)
        )
    job.refresh_from_db()


def result_rows(job: ImportJob) -> Iterable[Sequence[Any]]:
    rows = job.outcomes.order_by("row").values_list("row", "last_row", "outcome", "name", "errors")
    for row, last, outcome, name, errors in rows.iterator(chunk_size=2000):
        text = "; ".join(f"{f}: {' '.join(m)}" for f, m in errors.items())
        yield (row if row == last else f"{row}-{last}", outcome, name, text)


def result_csv(job: ImportJob) -> Iterator[bytes]:
    return csv_lines(("Row", "Outcome", "Name", "Errors"), result_rows(job))
