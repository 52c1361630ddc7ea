"""What apps above register at start-up (their ``apps.py``): the events they emit, with a line
saying when, and the schema that turns each kind of document into the ``data`` of a payload
(the one their API's GET answers with). The engine knows no app above it."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from ninja import Schema

PING = "ping"
_EVENTS: dict[str, str] = {PING: "Sent by hand (the webhook's test action) to check the URL."}
_SCHEMAS: dict[str, type[Schema]] = {}


def register_event(name: str, description: str) -> None:
    _EVENTS[name] = description


def events() -> dict[str, str]:
    """Every event a webhook may subscribe to -> when it is sent, by name."""
    return dict(sorted(_EVENTS.items()))


def register_payload(model: type[Model], schema: type[Schema]) -> None:
    """A document of ``model`` is sent as ``schema`` answers it (its API's out schema)."""
    _SCHEMAS[model._meta.label] = schema


def payload_of(document: Model) -> dict[str, Any]:
    """The document as plain JSON values."""
    schema = _SCHEMAS.get(document._meta.label)
    if schema is None:
        raise LookupError(f"No webhook payload is registered for {document._meta.label}.")
    data: dict[str, Any] = schema.from_orm(document).model_dump(mode="json")
    return data
