"""Who may see and change CRM records. Every page, API answer and report goes through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, QuerySet

from opportune.accounts.roles import PURCHASE_USER, has_role, is_manager, is_sales
from opportune.core.access import get_visible, restrict_to_visible_parents
from opportune.core.errors import NotFoundError
from opportune.crm.models import Contact, Customer, Lead, Opportunity

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

M = TypeVar("M", bound=Model)


def can_read_opportunities(user: AnyUser) -> bool:
    return is_sales(user) or has_role(user, PURCHASE_USER)


def can_write_opportunities(user: AnyUser) -> bool:
    return is_sales(user)


def can_manage_masters(user: AnyUser) -> bool:
    return is_manager(user)


def opportunities_visible_to(user: AnyUser) -> QuerySet[Opportunity]:
    if can_read_opportunities(user):
        return Opportunity.objects.all()
    return Opportunity.objects.none()


def leads_visible_to(user: AnyUser) -> QuerySet[Lead]:
    return Lead.objects.all() if is_sales(user) else Lead.objects.none()


def customers_visible_to(user: AnyUser) -> QuerySet[Customer]:
    return Customer.objects.all() if can_read_opportunities(user) else Customer.objects.none()


def contacts_visible_to(user: AnyUser) -> QuerySet[Contact]:
    return Contact.objects.all() if can_read_opportunities(user) else Contact.objects.none()


def restrict_to_visible_opportunities(queryset: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """Documents made from an opportunity are visible only with their opportunity."""
    return restrict_to_visible_parents(queryset, "opportunity", opportunities_visible_to(user))


def get_opportunity_for(user: AnyUser, name: str, *, write: bool = False) -> Opportunity:
    return get_visible(
        opportunities_visible_to(user),
        "Opportunity",
        name,
        user=user,
        write=write,
        can_write=can_write_opportunities,
    )


def get_lead_for(user: AnyUser, name: str, *, write: bool = False) -> Lead:
    return get_visible(
        leads_visible_to(user), "Lead", name, user=user, write=write, can_write=is_sales
    )


def get_customer_for(user: AnyUser, name: str, *, write: bool = False) -> Customer:
    return get_visible(
        customers_visible_to(user), "Customer", name, user=user, write=write, can_write=is_sales
    )


def get_contact_for(user: AnyUser, name: str, *, write: bool = False) -> Contact:
    return get_visible(
        contacts_visible_to(user), "Contact", name, user=user, write=write, can_write=is_sales
    )


def check_opportunity_link(user: AnyUser, body: object) -> None:
    """A document made from an opportunity (a quotation, a supplier quotation...) may name only
    one the user can see: else 404, as if it did not exist, naming the field."""
    opportunity = getattr(body, "opportunity", None)
    if opportunity:
        try:
            get_opportunity_for(user, opportunity)
        except NotFoundError as exc:
            raise NotFoundError(exc.message, fields={"opportunity": [exc.message]}) from exc
