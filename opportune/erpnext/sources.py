"""Where ERPNext's records are read from: the site's REST API, or a directory of the CSV files
its Data Export tool writes. Both give rows in the REST API's shape (one dict per record, child
rows with ``parent``, ``parenttype``, ``parentfield`` and ``idx``), so one mapping reads both."""

from __future__ import annotations

import csv
import http.client
import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

Row = dict[str, Any]

# ERPNext's list API refuses nothing up to this, and a page this size is one quick query there
DEFAULT_PAGE_SIZE = 500


class SourceError(Exception):
    """The source cannot be read (after the retries): the run stops where it is."""


class Source(Protocol):
    label: str
    page_size: int

    def page(self, doctype: str, start: int, *, order_by: str) -> list[Row]: ...

    def children(self, child_doctype: str, parent_doctype: str, names: list[str]) -> list[Row]: ...

    def time_zone(self) -> str | None: ...


# --- the REST API ------------------------------------------------------------------------------
class RestSource:
    """``GET /api/resource/<DocType>?fields=["*"]&limit_start=&limit_page_length=`` with token
    auth. A child table is read in pages too (``parent=<DocType>``), for the parents of one
    page at a time (their names' range), never one request per document. A network error or a
    5xx answer is retried ``retries`` times with a growing pause, then raises SourceError."""

    def __init__(
        self,
        url: str,
        key: str,
        secret: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        retries: int = 4,
        backoff: float = 1.0,
        timeout: float = 120,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = url.rstrip("/")
        self.label = self.base
        self.page_size = page_size
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self._auth = f"token {key}:{secret}"
        self.requests = 0

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        url = f"{self.base}{quote(path)}"
        if params:
            url += "?" + urlencode(params, quote_via=quote)
        request = Request(url, headers={"Authorization": self._auth, "Accept": "application/json"})
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            self.requests += 1
            try:
                with urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except HTTPError as exc:
                if exc.code in (401, 403):
                    raise SourceError(
                        f"{self.base} refused the API key and secret ({exc.code}) for {path}: "
                        "the key needs a user who may read it."
                    ) from exc
                if exc.code == 404:
                    raise SourceError(f"{self.base} has no {path} (404).") from exc
                last = f"HTTP {exc.code}"
            except (URLError, http.client.HTTPException, OSError, ValueError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        raise SourceError(
            f"{self.base}{path} could not be read after {self.retries + 1} tries ({last})."
        )

    def page(self, doctype: str, start: int, *, order_by: str) -> list[Row]:
        body = self._get(
            f"/api/resource/{doctype}",
            {
                "fields": '["*"]',
                "limit_start": start,
                "limit_page_length": self.page_size,
                "order_by": order_by,
            },
        )
        return list(body.get("data") or [])

    def children(self, child_doctype: str, parent_doctype: str, names: list[str]) -> list[Row]:
        """The child rows of the parents ``names`` (one page of them, in the site's name
        order): those whose parent is in that names' range, in pages of their own."""
        if not names:
            return []
        wanted = set(names)
        filters = json.dumps(
            [
                ["parenttype", "=", parent_doctype],
                ["parent", ">=", names[0]],
                ["parent", "<=", names[-1]],
            ]
        )
        rows: list[Row] = []
        start = 0
        while True:
            body = self._get(
                f"/api/resource/{child_doctype}",
                {
                    "fields": '["*"]',
                    "parent": parent_doctype,
                    "filters": filters,
                    "limit_start": start,
                    "limit_page_length": self.page_size,
                    "order_by": "name asc",
                },
            )
            batch = list(body.get("data") or [])
            rows.extend(r for r in batch if r.get("parent") in wanted)
            if len(batch) < self.page_size:
                return rows
            start += len(batch)

    def time_zone(self) -> str | None:
        """The site's time zone (System Settings), in which it writes ``modified``."""
        try:
            body = self._get("/api/resource/System Settings/System Settings", {})
        except SourceError:
            return None
        zone = (body.get("data") or {}).get("time_zone")
        return str(zone) if zone else None


# --- the Data Export tool's CSV files ----------------------------------------------------------
SEPARATOR = "Start entering data below this line"


def _python_format(frappe_format: str) -> str:
    return frappe_format.replace("dd", "%d").replace("mm", "%m").replace("yyyy", "%Y")


class CsvDirSource:
    """A directory of files written by ERPNext's Data Export tool (Setup > Data Export, "all
    child tables", with data), one per doctype, named ``<DocType>.csv``. The tool writes the
    header rows ``DocType:``, ``Column Labels:``, ``Column Name:``, ``Mandatory:``, ``Type:``,
    ``Info:`` (the Info row of a date column names the site's date format), then one line per
    record whose further child rows follow on lines with an empty record part; child tables are
    separated by a ``~`` column; names are written in quotes."""

    def __init__(self, directory: str | Path, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise SourceError(f"{self.directory} is not a directory.")
        self.label = str(self.directory.resolve())
        self.page_size = page_size
        self._files = {self._key(p.stem): p for p in self.directory.glob("*.csv")}
        self._parsed: dict[str, tuple[list[Row], dict[str, list[Row]]]] = {}

    @staticmethod
    def _key(doctype: str) -> str:
        return doctype.lower().replace("_", " ").replace("-", " ").strip()

    def _load(self, doctype: str) -> tuple[list[Row], dict[str, list[Row]]]:
        if doctype not in self._parsed:
            path = self._files.get(self._key(doctype))
            self._parsed[doctype] = self._parse(path) if path else ([], {})
        return self._parsed[doctype]

    def _parse(self, path: Path) -> tuple[list[Row], dict[str, list[Row]]]:
        with path.open(newline="", encoding="utf-8-sig") as f:
            lines = list(csv.reader(f))
        heads = {line[0]: i for i, line in enumerate(lines) if line and line[0].endswith(":")}
        if "Column Name:" not in heads or "DocType:" not in heads:
            raise SourceError(f"{path.name} is not a Data Export file (no 'Column Name:' row).")
        fields = lines[heads["Column Name:"]]
        tables = lines[heads["DocType:"]] + [""] * len(fields)
        types = (lines[heads["Type:"]] if "Type:" in heads else []) + [""] * len(fields)
        infos = (lines[heads["Info:"]] if "Info:" in heads else []) + [""] * len(fields)
        body_from = max(heads.values()) + 1
        for i, line in enumerate(lines):
            if line and line[0] == SEPARATOR:
                body_from = i + 1
        # the column groups: the record's, then each child table's after a "~" column
        groups: list[tuple[str, str, list[int]]] = []
        current: list[int] = []
        for col in range(1, len(fields)):
            if fields[col] == "~":
                current = []
                continue
            if not current:
                groups.append((tables[col], tables[col + 1] if len(groups) else "", current))
            current.append(col)
        parents: list[Row] = []
        children: dict[str, list[Row]] = {}
        for line in lines[body_from:]:
            line = line + [""] * (len(fields) - len(line))
            for number, (doctype, parentfield, cols) in enumerate(groups):
                values = {fields[c]: self._value(line[c], types[c], infos[c]) for c in cols}
                if not any(v not in ("", None) for v in values.values()):
                    continue
                if number == 0:
                    parents.append(values)
                elif parents:
                    rows = children.setdefault(doctype, [])
                    values.update(parent=parents[-1]["name"], parenttype=groups[0][0])
                    values["parentfield"] = parentfield
                    values["idx"] = 1 + sum(1 for r in rows if r["parent"] == values["parent"])
                    rows.append(values)
        parents.sort(key=lambda r: str(r.get("name")))
        return parents, children

    @staticmethod
    def _value(text: str, fieldtype: str, info: str) -> Any:
        if text == "":
            return None
        if len(text) >= 2 and text[0] == text[-1] == '"':  # names are written quoted
            text = text[1:-1]
        if fieldtype in ("Date", "Datetime") and info:
            fmt = _python_format(info)
            if fieldtype == "Date":
                return datetime.strptime(text, fmt).date().isoformat()
            date_part, _, time_part = text.partition(" ")
            day = datetime.strptime(date_part, fmt).date().isoformat()
            return f"{day} {time_part or '00:00:00'}"
        return text

    def page(self, doctype: str, start: int, *, order_by: str) -> list[Row]:
        parents, _ = self._load(doctype)
        return parents[start : start + self.page_size]

    def children(self, child_doctype: str, parent_doctype: str, names: list[str]) -> list[Row]:
        _, children = self._load(parent_doctype)
        wanted = set(names)
        return [r for r in children.get(child_doctype, []) if r["parent"] in wanted]

    def time_zone(self) -> str | None:
        return None
