"""Buying business operations. Pages, API, jobs and commands all call these."""

from opportune.buying.services.quotations import (
    cancel_request_for_quotation,
    cancel_supplier_quotation,
    create_request_for_quotation,
    create_supplier_quotation,
    delete_request_for_quotation,
    delete_supplier_quotation,
    expire_supplier_quotations,
    make_request_for_quotation_from_opportunity,
    make_supplier_quotation_from_opportunity,
    make_supplier_quotation_from_rfq,
    submit_request_for_quotation,
    submit_supplier_quotation,
    supplier_quotation_comparison,
    update_request_for_quotation,
    update_supplier_quotation,
)
from opportune.buying.services.suppliers import (
    create_supplier,
    create_supplier_group,
    delete_supplier,
    delete_supplier_group,
    update_supplier,
)

__all__ = [
    "cancel_request_for_quotation",
    "cancel_supplier_quotation",
    "create_request_for_quotation",
    "create_supplier",
    "create_supplier_group",
    "create_supplier_quotation",
    "delete_request_for_quotation",
    "delete_supplier",
    "delete_supplier_group",
    "delete_supplier_quotation",
    "expire_supplier_quotations",
    "make_request_for_quotation_from_opportunity",
    "make_supplier_quotation_from_opportunity",
    "make_supplier_quotation_from_rfq",
    "submit_request_for_quotation",
    "submit_supplier_quotation",
    "supplier_quotation_comparison",
    "update_request_for_quotation",
    "update_supplier",
    "update_supplier_quotation",
]
