"""What selling offers to import (core.imports, decision 0030): quotations with their items,
each through ``create_quotation`` as the pages; ERPNext's labels and field names known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opportune.core.errors import ValidationError
from opportune.core.imports import Importer, columns, item_row_columns, register_importer
from opportune.crm.access import opportunities_visible_to
from opportune.crm.imports import check_party_visible
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
