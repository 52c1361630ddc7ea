"""Bulk actions of the opportunity list: assign, change stage, close — one document at a time.

Each document goes through the same service as a single edit (validation, transition table,
version check), in its own transaction, so one refused document never blocks the others and
the caller learns exactly which were refused and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opportune.core.errors import DomainError, ValidationError
from opportune.crm.models import Opportunity
from opportune.crm.services.opportunities import set_opportunity_status, update_opportunity

if TYPE_CHECKING:
    from opportune.core.users import User

BULK_LIMIT = 200
BULK_ACTIONS = ("assign", "stage", "close")


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # name -> why


def bulk_update_opportunities(
    targets: Sequence[tuple[Opportunity, int | None]],
    *,
    action: str,
    value: str | None = None,
    by: User,
) -> BulkResult:
    """Apply one action to many opportunities; ``targets`` pairs each with the version the user
    saw (``None`` takes the current one). ``value`` is a username (assign) or a stage (stage)."""
    if action not in BULK_ACTIONS:
        raise ValidationError.for_field("action", f"Choose one of: {', '.join(BULK_ACTIONS)}.")
    if not targets:
        raise ValidationError.for_field("names", "Select at least one opportunity.")
    if len(targets) > BULK_LIMIT:
        raise ValidationError.for_field("names", f"Select at most {BULK_LIMIT} opportunities.")
    if action in ("assign", "stage") and not value:
        field_name = "opportunity_owner" if action == "assign" else "sales_stage"
        raise ValidationError.for_field(field_name, "Choose a value to apply.")
    result = BulkResult()
    for opportunity, version in targets:
        version = opportunity.version if version is None else version
        try:
            if action == "close":
                set_opportunity_status(
                    opportunity, status=Opportunity.Status.CLOSED, version=version, by=by
                )
            else:
                field_name = "opportunity_owner" if action == "assign" else "sales_stage"
                update_opportunity(opportunity, data={field_name: value}, version=version, by=by)
        except DomainError as exc:
            result.refused[opportunity.name] = exc.message
        else:
            result.done.append(opportunity.name)
    return result
