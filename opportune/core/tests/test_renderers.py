"""The API's JSON renderer (core/renderers.py): orjson writing what ninja's renderer wrote."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from ninja import Schema
from ninja.renderers import JSONRenderer

from opportune.core.renderers import RENDERER, dumps


class Point(Schema):
    x: int
    at: dt.datetime


UTC = dt.UTC
VALUES = [
    {"when": dt.datetime(2026, 12, 7, 18, 25, 45, 123456, tzinfo=UTC)},
    {"when": dt.datetime(2026, 12, 7, 18, 25, 45, tzinfo=UTC)},
    {"when": dt.datetime(2026, 12, 7, 18, 25, 45, 5000, tzinfo=dt.timezone(dt.timedelta(hours=5)))},
    {"naive": dt.datetime(2026, 12, 7, 9, 0, 0, 999)},
    {"day": dt.date(2026, 2, 28), "time": dt.time(9, 30, 0, 1500)},
    {"amount": Decimal("1234.50"), "tiny": Decimal("0.000001"), "whole": Decimal("10")},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "lazy": gettext_lazy("Open")},
    {"duration": dt.timedelta(days=1, seconds=90)},
    {1: "int key", "text": "Zoë's café, 東京", "nothing": None, "flags": [True, False]},
    {"float": 0.1, "big": 2**63 - 1, "negative": -5, "nested": [{"a": [1, 2, {"b": 3.5}]}]},
    {"schema": Point(x=1, at=dt.datetime(2026, 1, 1, tzinfo=UTC))},
    [],
    "just a string",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_it_writes_what_ninjas_renderer_wrote(value):
    ours = dumps(value)
    theirs = json.dumps(value, cls=JSONRenderer.encoder_class)  # what ninja's render does
    assert json.loads(ours) == json.loads(theirs)


def test_datetimes_read_as_djangos_encoder_writes_them():
    when = dt.datetime(2026, 12, 7, 18, 25, 45, 123456, tzinfo=UTC)
    assert json.loads(dumps({"when": when})) == {"when": "2026-12-07T18:25:45.123Z"}


def test_an_integer_orjson_cannot_write_is_still_rendered():
    assert json.loads(dumps({"huge": 2**70})) == {"huge": 2**70}


def test_the_api_renders_with_it():
    from opportune.api import api

    assert api.renderer is RENDERER
