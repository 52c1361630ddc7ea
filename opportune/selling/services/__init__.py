"""Selling business operations. Pages, API, jobs and commands all call these."""

from opportune.selling.services.quotations import (
    cancel_quotation,
    create_quotation,
    declare_quotation_lost,
    delete_quotation,
    expire_quotations,
    make_quotation_from_opportunity,
    refresh_quotation_status,
    submit_quotation,
    update_quotation,
)
from opportune.selling.services.quotations_bulk import create_quotations
from opportune.selling.services.sales_orders import (
    cancel_sales_order,
    create_sales_order,
    delete_sales_order,
    make_sales_order_from_quotation,
    submit_sales_order,
    update_sales_order,
)

__all__ = [
    "cancel_quotation",
    "cancel_sales_order",
    "create_quotation",
    "create_quotations",
    "create_sales_order",
    "declare_quotation_lost",
    "delete_quotation",
    "delete_sales_order",
    "expire_quotations",
    "make_quotation_from_opportunity",
    "make_sales_order_from_quotation",
    "refresh_quotation_status",
    "submit_quotation",
    "submit_sales_order",
    "update_quotation",
    "update_sales_order",
]
