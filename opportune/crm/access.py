"""Who may see and change CRM records. Every page, API answer and report goes through here."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from opportune.accounts.roles import PURCHASE_USER, has_role, is_manager, is_sales
from opportune.core.errors import NotFoundError, PermissionDeniedError
from opportune.crm.models import Contact, Customer, Lead, Opportunity


def can_read_opportunities(user) -> bool:
    return is_sales(user) or has_role(user, PURCHASE_USER)


def can_write_opportunities(user) -> bool:
    return is_sales(user)


def can_manage_masters(user) -> bool:
    return is_manager(user)


def opportunities_visible_to(user) -> QuerySet[Opportunity]:
    if can_read_opportunities(user):
        return Opportunity.objects.all()
    return Opportunity.objects.none()


def leads_visible_to(user) -> QuerySet[Lead]:
    return Lead.objects.all() if is_sales(user) else Lead.objects.none()


def customers_visible_to(user) -> QuerySet[Customer]:
    return Customer.objects.all() if can_read_opportunities(user) else Customer.objects.none()


def contacts_visible_to(user) -> QuerySet[Contact]:
    return Contact.objects.all() if can_read_opportunities(user) else Contact.objects.none()


def restrict_to_visible_opportunities(queryset: QuerySet, user) -> QuerySet:
    """Documents made from an opportunity are visible only with their opportunity."""
    opportunities = opportunities_visible_to(user)
    if not opportunities.query.has_filters():  # every opportunity is visible: no subquery
        return queryset
    return queryset.filter(Q(opportunity__isnull=True) | Q(opportunity__in=opportunities))


def get_visible(queryset: QuerySet, doctype: str, name: str, *, user, write: bool, can_write):
    """The one permission-checked lookup by name: unseen is 404 (as if it did not exist),
    seen but not writable is 403; a name no document can have (NUL) is simply not found."""
    obj = None if "\x00" in name else queryset.filter(pk=name).first()
    if obj is None:
        raise NotFoundError(f"{doctype} {name} not found.")
    if write and not can_write(user):
        raise PermissionDeniedError(f"You may not change {doctype} {name}.")
    return obj


def get_opportunity_for(user, name: str, *, write: bool = False) -> Opportunity:
    return get_visible(
        opportunities_visible_to(user),
        "Opportunity",
        name,
        user=user,
        write=write,
        can_write=can_write_opportunities,
    )


def get_lead_for(user, name: str, *, write: bool = False) -> Lead:
    return get_visible(
        leads_visible_to(user), "Lead", name, user=user, write=write, can_write=is_sales
    )


def get_customer_for(user, name: str, *, write: bool = False) -> Customer:
    return get_visible(
        customers_visible_to(user), "Customer", name, user=user, write=write, can_write=is_sales
    )


def get_contact_for(user, name: str, *, write: bool = False) -> Contact:
    return get_visible(
        contacts_visible_to(user), "Contact", name, user=user, write=write, can_write=is_sales
    )
