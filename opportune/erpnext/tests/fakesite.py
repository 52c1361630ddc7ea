"""A local HTTP server answering as ERPNext v15's REST API does, from recorded records (one JSON
file per doctype, ``{"data": [...]}`` as ``fields=["*"]`` returns them): token auth, pages
(``limit_start``, ``limit_page_length``, ``order_by``), child tables only with ``parent=``,
``filters`` (=, >=, <=). Faults can be injected: answers 500 or a dropped connection for the
page of a doctype starting at a given row."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "site"
KEY, SECRET = "a1b2c3d4e5f6a7b", "0f9e8d7c6b5a4f3"
CHILD_DOCTYPES = {
    "Opportunity Item",
    "Opportunity Lost Reason Detail",
    "Competitor Detail",
    "Quotation Item",
    "Quotation Lost Reason Detail",
    "Supplier Quotation Item",
    "Dynamic Link",
    "Contact Email",
}


@dataclass
class Site:
    records: dict[str, list[dict[str, Any]]]
    single: dict[str, Any]
    url: str = ""
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # (doctype, limit_start) -> how many more times to fail, and how ("500" or "drop")
    faults: dict[tuple[str, int], tuple[int, str]] = field(default_factory=dict)

    def fail(self, doctype: str, start: int, times: int, how: str = "500") -> None:
        self.faults[(doctype, start)] = (times, how)

    def requests_for(self, doctype: str) -> list[dict[str, str]]:
        return [params for path, params in self.log if path == doctype]


def load_records(directory: Path = FIXTURES) -> dict[str, list[dict[str, Any]]]:
    return {
        p.stem: json.loads(p.read_text())["data"]
        for p in directory.glob("*.json")
        if p.stem != "System Settings"
    }


def _matches(row: dict[str, Any], filters: list[list[Any]]) -> bool:
    for fieldname, op, value in filters:
        have = row.get(fieldname)
        if op == "=" and have != value:
            return False
        if op == ">=" and not (have is not None and str(have) >= value):
            return False
        if op == "<=" and not (have is not None and str(have) <= value):
            return False
    return True


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if self.headers.get("Authorization") != f"token {KEY}:{SECRET}":
                self._send(401, {"exc_type": "AuthenticationError", "_server_messages": "[]"})
                return
            path = unquote(parts.path)
            if path == "/api/resource/System Settings/System Settings":
                self._send(200, {"data": site.single})
                return
            doctype = path.removeprefix("/api/resource/")
            site.log.append((doctype, params))
            if doctype not in site.records:
                self._send(404, {"exc_type": "DoesNotExistError"})
                return
            start = int(params.get("limit_start", 0))
            times, how = site.faults.get((doctype, start), (0, ""))
            if times:
                site.faults[(doctype, start)] = (times - 1, how)
                if how == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                self._send(500, {"exc_type": "OperationalError", "exception": "Lost connection"})
                return
            if doctype in CHILD_DOCTYPES and not params.get("parent"):
                self._send(
                    403,
                    {
                        "exc_type": "PermissionError",
                        "exception": "Please specify a valid parent DocType",
                    },
                )
                return
            rows = [
                r
                for r in site.records[doctype]
                if _matches(r, json.loads(params.get("filters", "[]")))
            ]
            order = params.get("order_by", "modified desc").split()[0]
            rows.sort(key=lambda r: (r.get(order) is None, r.get(order) or ""))
            length = int(params.get("limit_page_length", 20))
            self._send(200, {"data": rows[start : start + length] if length else rows[start:]})

    return Handler


@contextmanager
def serve(records: dict[str, list[dict[str, Any]]] | None = None) -> Iterator[Site]:
    single = json.loads((FIXTURES / "System Settings.json").read_text())["data"]
    site = Site(records=records if records is not None else load_records(), single=single)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
