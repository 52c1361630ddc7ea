"""The quotation events selling sends to webhooks (webhooks.registry), and their payload: the
quotation as ``GET /api/v1/quotations/{name}`` answers it."""

from __future__ import annotations

from opportune.selling.models import Quotation
from opportune.selling.schemas import QuotationOut
from opportune.webhooks import registry

SUBMITTED = "quotation.submitted"


def register() -> None:
    registry.register_event(SUBMITTED, "A quotation is submitted.")
    registry.register_payload(Quotation, QuotationOut)
