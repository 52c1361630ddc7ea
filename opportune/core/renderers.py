"""The API's JSON renderer: orjson, with the values ninja's own renderer gives.

ninja renders with the standard library's ``json`` and ``NinjaJSONEncoder`` (Django's encoder:
a datetime to the millisecond with ``Z`` for UTC, a Decimal or UUID as a string). Rendering a
list page of 20 opportunities that way took 15% of the request's CPU time (py-spy, issue 12);
orjson writes the same JSON in a fraction of it. Datetimes, dates and times are handed back to
Django's encoder (``OPT_PASSTHROUGH_DATETIME``), and so is every type orjson does not know, so
every value reads as before; what orjson cannot write at all (an integer past 64 bits) is
rendered by ninja's renderer. The text differs only in whitespace and in non-ASCII characters
written as UTF-8 rather than ``\\u`` escapes: the same JSON.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_ENCODER = NinjaJSONEncoder()


def _default(value: Any) -> Any:
    # the common kinds first, as Django's encoder writes them (its isinstance chain, after
    # ninja's, cost more than the rest of the page's rendering)
    kind = type(value)
    if kind is datetime:
        text = value.isoformat()
        if value.microsecond:
            text = text[:23] + text[26:]
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if kind is date:
        return value.isoformat()
    if kind is Decimal:
        return str(value)
    return _ENCODER.default(value)


def dumps(data: Any) -> bytes:
    """``data`` as JSON bytes, each value as ninja's renderer writes it."""
    try:
        return orjson.dumps(data, default=_default, option=OPTIONS)
    except orjson.JSONEncodeError:
        text: str = json.dumps(data, cls=NinjaJSONEncoder)  # ninja's JSONRenderer.render
        return text.encode()


class FastJSONRenderer(JSONRenderer):
    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return dumps(data)


RENDERER = FastJSONRenderer()
