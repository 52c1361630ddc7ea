"""Who may see and change suppliers, supplier quotations and requests for quotation.

Purchase users create and change them; sales roles read them (to price a quotation). A
document made from an opportunity is visible only to those who can see that opportunity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, QuerySet

from opportune.accounts.roles import PURCHASE_USER, has_role, is_sales
from opportune.buying.models import RequestForQuotation, Supplier, SupplierQuotation
from opportune.core.access import get_visible
from opportune.core.errors import PermissionDeniedError
from opportune.crm.access import restrict_to_visible_opportunities

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

M = TypeVar("M", bound=Model)


def can_read_buying(user: AnyUser) -> bool:
    return has_role(user, PURCHASE_USER) or is_sales(user)


def can_write_buying(user: AnyUser) -> bool:
    return has_role(user, PURCHASE_USER)


def require_buying_writer(user: AnyUser, what: str) -> None:
    if not can_write_buying(user):
        raise PermissionDeniedError(f"You may not {what}.")


def suppliers_visible_to(user: AnyUser) -> QuerySet[Supplier]:
    return Supplier.objects.all() if can_read_buying(user) else Supplier.objects.none()


def supplier_quotations_visible_to(user: AnyUser) -> QuerySet[SupplierQuotation]:
    if not can_read_buying(user):
        return SupplierQuotation.objects.none()
    return restrict_to_visible_opportunities(SupplierQuotation.objects.all(), user)


def requests_for_quotation_visible_to(user: AnyUser) -> QuerySet[RequestForQuotation]:
    if not can_read_buying(user):
        return RequestForQuotation.objects.none()
    return restrict_to_visible_opportunities(RequestForQuotation.objects.all(), user)


def _get(queryset: QuerySet[M], doctype: str, name: str, *, user: AnyUser, write: bool) -> M:
    return get_visible(queryset, doctype, name, user=user, write=write, can_write=can_write_buying)


def get_supplier_for(user: AnyUser, name: str, *, write: bool = False) -> Supplier:
    return _get(suppliers_visible_to(user), "Supplier", name, user=user, write=write)


def get_supplier_quotation_for(
    user: AnyUser, name: str, *, write: bool = False
) -> SupplierQuotation:
    return _get(
        supplier_quotations_visible_to(user), "Supplier Quotation", name, user=user, write=write
    )


def get_request_for_quotation_for(
    user: AnyUser, name: str, *, write: bool = False
) -> RequestForQuotation:
    return _get(
        requests_for_quotation_visible_to(user),
        "Request for Quotation",
        name,
        user=user,
        write=write,
    )


def require_buying_reader(user: AnyUser, what: str) -> None:
    if not can_read_buying(user):
        raise PermissionDeniedError(f"You may not {what}.")
