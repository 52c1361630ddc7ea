"""Who may see and change quotations and sales orders (docs/decisions/0008-record-rules.md).

Sales roles work with them. A quotation or sales order made from an opportunity is visible with
that opportunity (crm/access.py). One made without an opportunity belongs to whoever made it
(``owner``) and, for a quotation to a lead, to whoever sees that lead; a sales order made from
such a quotation follows the quotation. Customers are shared, their quotations are not: a sales
user sees a customer's quotations only through the rules above. Managers, and every sales user
while ``sales_users_see_all`` is on, see them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, Q, QuerySet

from opportune.accounts.roles import is_sales
from opportune.core.access import get_visible
from opportune.core.errors import PermissionDeniedError
from opportune.crm.access import (
    check_opportunity_link,
    get_lead_for,
    leads_visible_to,
    visible_opportunity_link,
)
from opportune.crm.access import sees_all_sales_records as sees_all
from opportune.selling.models import Quotation, SalesOrder

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

M = TypeVar("M", bound=Model)


def can_read_selling(user: AnyUser) -> bool:
    return is_sales(user)


def can_write_selling(user: AnyUser) -> bool:
    return is_sales(user)


def _quotation_rule(user: AnyUser) -> Q:
    without_opportunity = Q(opportunity__isnull=True) & (
        Q(owner=user.pk) | Q(lead__in=leads_visible_to(user).values("pk"))
    )
    return visible_opportunity_link(user, "opportunity") | without_opportunity


def quotations_visible_to(user: AnyUser) -> QuerySet[Quotation]:
    if not can_read_selling(user):
        return Quotation.objects.none()
    if sees_all(user):
        return Quotation.objects.all()
    return Quotation.objects.filter(_quotation_rule(user))


def sales_orders_visible_to(user: AnyUser) -> QuerySet[SalesOrder]:
    if not can_read_selling(user):
        return SalesOrder.objects.none()
    if sees_all(user):
        return SalesOrder.objects.all()
    without_opportunity = Q(opportunity__isnull=True) & (
        Q(owner=user.pk)
        | Q(quotation__in=Quotation.objects.filter(_quotation_rule(user)).values("pk"))
    )
    return SalesOrder.objects.filter(
        visible_opportunity_link(user, "opportunity") | without_opportunity
    )


def _get(queryset: QuerySet[M], doctype: str, name: str, *, user: AnyUser, write: bool) -> M:
    return get_visible(queryset, doctype, name, user=user, write=write, can_write=can_write_selling)


def get_quotation_for(user: AnyUser, name: str, *, write: bool = False) -> Quotation:
    return _get(quotations_visible_to(user), "Quotation", name, user=user, write=write)


def get_sales_order_for(user: AnyUser, name: str, *, write: bool = False) -> SalesOrder:
    return _get(sales_orders_visible_to(user), "Sales Order", name, user=user, write=write)


def require_selling_writer(user: AnyUser, what: str) -> None:
    if not can_write_selling(user):
        raise PermissionDeniedError(f"You may not {what}.")


def check_quotation_links(user: AnyUser, body: object) -> None:
    """A quotation may name only an opportunity and a lead the user sees (404 otherwise, as if
    they did not exist, naming the field); customers are shared."""
    check_opportunity_link(user, body)
    party = getattr(body, "party_name", None)
    if getattr(body, "quotation_to", None) == "Lead" and party:
        get_lead_for(user, str(party))
