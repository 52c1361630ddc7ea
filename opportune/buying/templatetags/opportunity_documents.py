"""Template helpers of the opportunity page's slots (make menu, documents made from it)."""

from __future__ import annotations

from django import template

from opportune.buying import access as buying
from opportune.selling import access as selling

register = template.Library()


@register.filter
def can_sell(user) -> bool:
    return selling.can_write_selling(user)


@register.filter
def can_buy(user) -> bool:
    return buying.can_write_buying(user)


@register.simple_tag
def documents_of(opportunity, user) -> dict:
    """The documents made from an opportunity that ``user`` may see, newest first."""
    return {
        "quotations": list(
            selling.quotations_visible_to(user)
            .filter(opportunity=opportunity)
            .select_related("currency")
            .order_by("-creation")[:50]
        ),
        "sales_orders": list(
            selling.sales_orders_visible_to(user)
            .filter(opportunity=opportunity)
            .select_related("currency")
            .order_by("-creation")[:50]
        ),
        "supplier_quotations": list(
            buying.supplier_quotations_visible_to(user)
            .filter(opportunity=opportunity)
            .select_related("currency")
            .order_by("-creation")[:50]
        ),
        "requests_for_quotation": list(
            buying.requests_for_quotation_visible_to(user)
            .filter(opportunity=opportunity)
            .order_by("-creation")[:50]
        ),
    }
