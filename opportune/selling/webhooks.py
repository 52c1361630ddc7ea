"""The quotation events selling sends to webhooks (webhooks.registry), and their payload: the
quotation as ``GET /api/v1/quotations/{name}`` answers it."""

from __future__ import annotations

from typing import Any

from opportune.selling.models import Quotation
from opportune.selling.schemas import QuotationOut
from opportune.webhooks import registry

SUBMITTED = "quotation.submitted"


def _payload(quotation: Quotation) -> dict[str, Any]:
    data: dict[str, Any] = QuotationOut.from_orm(quotation).model_dump(mode="json")
    return data


def register() -> None:
    registry.register_event(SUBMITTED, "A quotation is submitted.")
    registry.register_payload(Quotation, _payload)
