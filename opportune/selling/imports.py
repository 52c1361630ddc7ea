"""What selling offers to import (core.imports, decision 0030): quotations with their items,
each through ``create_quotation`` as the pages (in chunks through its bulk twin
``create_quotations``); ERPNext's labels and field names known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opportune.core.errors import DomainError, ValidationError
from opportune.core.imports import Importer, columns, item_row_columns, register_importer
from opportune.crm.access import opportunities_visible_to
from opportune.crm.imports import check_party_visible, past_hidden_leads
from opportune.selling import access, services
from opportune.selling.models import Quotation, QuotationItem
from opportune.selling.services.quotations import QUOTATION_SPEC

if TYPE_CHECKING:
    from opportune.core.users import User

ERPNEXT_QUOTATION = {
    "Quotation To": "quotation_to",
    "Party": "party_name",
    "Customer": "party_name",
    "Date": "transaction_date",
    "Valid Till": "valid_till",
    "Currency": "currency",
    "Opportunity": "opportunity",
    "Contact Person": "contact_person",
    "Contact Email": "contact_email",
    "Contact Mobile No": "contact_mobile",
    "Territory": "territory",
    "Customer Group": "customer_group",
    "Source": "source",
    "Campaign": "campaign",
    "Terms and Conditions": "terms",
    "Title": "title",
    "Tax Rate": "tax_rate",
}


def _create_quotation(data: dict[str, Any], by: User) -> Quotation:
    check_party_visible(by, data.get("quotation_to"), data.get("party_name"))
    opportunity = data.get("opportunity")
    if opportunity and not opportunities_visible_to(by).filter(pk=opportunity).exists():
        raise ValidationError.for_field(
            "opportunity", f"Opportunity '{opportunity}' does not exist."
        )
    return services.create_quotation(data=data, by=by)


def _create_quotations(
    rows: list[dict[str, Any]], by: User, write: bool
) -> list[Quotation | DomainError]:
    """What ``_create_quotation`` does for each row, for a batch: the parties and the
    opportunities the user may not see are found in one query each (such a row is refused as
    missing, as one by one), the other rows go through ``create_quotations``, the service's
    bulk twin."""
    return past_hidden_leads(
        rows,
        by,
        "quotation_to",
        "party_name",
        lambda ready: _past_hidden_opportunities(ready, by, write),
    )


def _past_hidden_opportunities(
    rows: list[dict[str, Any]], by: User, write: bool
) -> list[Quotation | DomainError]:
    named = {data["opportunity"] for data in rows if data.get("opportunity")}
    seen = (
        set(opportunities_visible_to(by).filter(pk__in=named).values_list("pk", flat=True))
        if named
        else set()
    )
    answers: list[Quotation | DomainError | None] = []
    ready = []
    for data in rows:
        opportunity = data.get("opportunity")
        if opportunity and opportunity not in seen:
            message = f"Opportunity '{opportunity}' does not exist."
            answers.append(ValidationError.for_field("opportunity", message))
            continue
        answers.append(None)
        ready.append(data)
    made = iter(services.create_quotations(ready, by=by, write=write))
    return [answer if answer is not None else next(made) for answer in answers]


def register() -> None:
    fields = ["quotation_to", "party_name", *QUOTATION_SPEC, "tax_rate"]
    register_importer(
        Importer(
            doctype="Quotation",
            label="Quotations (with their items)",
            columns=(
                *columns(
                    Quotation,
                    fields,
                    ERPNEXT_QUOTATION,
                    required=("party_name",),
                    labels={"quotation_to": "Quotation To", "party_name": "Party"},
                ),
                *item_row_columns(QuotationItem),
            ),
            create=_create_quotation,
            create_many=_create_quotations,
            may_import=access.can_write_selling,
            ignored_headers=(
                "Status",
                "Customer Name",
                "Grand Total",
                "Modified",
                "modified",
                "creation",
            ),
            defaults={"quotation_to": "Customer"},
        )
    )
