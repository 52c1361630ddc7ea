"""What apps above register at start-up (their ``apps.py``): the events they emit, with a line
saying when, and how to turn each kind of document into the ``data`` of a payload (the shape
their API's GET answers). The engine knows no app above it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model

PING = "ping"
_EVENTS: dict[str, str] = {PING: "Sent by hand (the webhook's test action) to check the URL."}
_BUILDERS: dict[str, Callable[[Any], dict[str, Any]]] = {}


def register_event(name: str, description: str) -> None:
    _EVENTS[name] = description


def events() -> dict[str, str]:
    """Every event a webhook may subscribe to -> when it is sent, by name."""
    return dict(sorted(_EVENTS.items()))


def register_payload(model: type[Model], builder: Callable[[Any], dict[str, Any]]) -> None:
    """``builder(document)`` answers the document as plain JSON values."""
    _BUILDERS[model._meta.label] = builder


def payload_of(document: Model) -> dict[str, Any]:
    builder = _BUILDERS.get(document._meta.label)
    if builder is None:
        raise LookupError(f"No webhook payload is registered for {document._meta.label}.")
    return builder(document)
