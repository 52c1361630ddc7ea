"""Who may see and change quotations and sales orders. Sales roles work with them; a document
made from an opportunity is visible only to those who can see that opportunity."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, QuerySet

from opportune.accounts.roles import is_sales
from opportune.core.access import get_visible
from opportune.core.errors import PermissionDeniedError
from opportune.crm.access import restrict_to_visible_opportunities
from opportune.selling.models import Quotation, SalesOrder

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

M = TypeVar("M", bound=Model)


def can_read_selling(user: AnyUser) -> bool:
    return is_sales(user)


def can_write_selling(user: AnyUser) -> bool:
    return is_sales(user)


def quotations_visible_to(user: AnyUser) -> QuerySet[Quotation]:
    if not can_read_selling(user):
        return Quotation.objects.none()
    return restrict_to_visible_opportunities(Quotation.objects.all(), user)


def sales_orders_visible_to(user: AnyUser) -> QuerySet[SalesOrder]:
    if not can_read_selling(user):
        return SalesOrder.objects.none()
    return restrict_to_visible_opportunities(SalesOrder.objects.all(), user)


def _get(queryset: QuerySet[M], doctype: str, name: str, *, user: AnyUser, write: bool) -> M:
    return get_visible(queryset, doctype, name, user=user, write=write, can_write=can_write_selling)


def get_quotation_for(user: AnyUser, name: str, *, write: bool = False) -> Quotation:
    return _get(quotations_visible_to(user), "Quotation", name, user=user, write=write)


def get_sales_order_for(user: AnyUser, name: str, *, write: bool = False) -> SalesOrder:
    return _get(sales_orders_visible_to(user), "Sales Order", name, user=user, write=write)


def require_selling_writer(user: AnyUser, what: str) -> None:
    if not can_write_selling(user):
        raise PermissionDeniedError(f"You may not {what}.")
