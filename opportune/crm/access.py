"""Who may see and change CRM records. Every page, API answer and report goes through here.

The record rules (docs/decisions/0008-record-rules.md):

- Managers (Sales Manager, System Manager, superusers) see and change every lead and
  opportunity; so do sales users when the CRM setting ``sales_users_see_all`` is on (ERPNext's
  behaviour). Otherwise a Sales User sees and changes the leads and opportunities they created
  (``owner``), own (``lead_owner``, ``opportunity_owner``), are to contact (``contact_by``) or
  have an Open assignment to.
- Purchase Users read every opportunity (to make supplier quotations and RFQs from it) and
  change none; they see no lead.
- Customers and their contacts are shared: every sales and purchase user reads them, sales
  users change them. A contact linked to a lead follows the lead.

What a user may not see answers 404; what they see but may not change answers 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, Q, QuerySet

from opportune.accounts.roles import PURCHASE_USER, has_role, is_manager, is_sales
from opportune.automation.access import assigned_names
from opportune.core.access import get_visible, restrict_to_visible_parents
from opportune.core.errors import NotFoundError, PermissionDeniedError
from opportune.crm.models import Contact, CRMSettings, Customer, Lead, Opportunity

if TYPE_CHECKING:
    from opportune.core.users import AnyUser

M = TypeVar("M", bound=Model)


def can_read_opportunities(user: AnyUser) -> bool:
    return is_sales(user) or has_role(user, PURCHASE_USER)


def can_write_opportunities(user: AnyUser) -> bool:
    return is_sales(user)


def can_manage_masters(user: AnyUser) -> bool:
    return is_manager(user)


def sees_all_sales_records(user: AnyUser) -> bool:
    """A manager, or a sales user while ``sales_users_see_all`` is on: the leads and
    opportunities of everyone (and their documents). The setting is read once per request."""
    if is_manager(user):
        return True
    return is_sales(user) and CRMSettings.current().sales_users_see_all


def _worked_by(user: AnyUser) -> Q:
    """The opportunities a sales user created, owns or is to contact (each column indexed)."""
    return Q(owner=user.pk) | Q(opportunity_owner=user.pk) | Q(contact_by=user.pk)


def _opportunity_rule(user: AnyUser) -> Q:
    """The opportunities a sales user works: created, owned, to contact or assigned."""
    return _worked_by(user) | Q(pk__in=assigned_names(user, Opportunity.doctype))


def _lead_rule(user: AnyUser) -> Q:
    return Q(owner=user.pk) | Q(lead_owner=user.pk) | Q(pk__in=assigned_names(user, Lead.doctype))


def opportunities_writable_by(user: AnyUser) -> QuerySet[Opportunity]:
    """The opportunities the user may change (a subset of those they see)."""
    if not can_write_opportunities(user):
        return Opportunity.objects.none()
    if sees_all_sales_records(user):
        return Opportunity.objects.all()
    return Opportunity.objects.filter(_opportunity_rule(user))


def opportunities_visible_to(user: AnyUser) -> QuerySet[Opportunity]:
    if has_role(user, PURCHASE_USER):  # reads every opportunity it may buy for
        return Opportunity.objects.all()
    return opportunities_writable_by(user)


def visible_opportunity_link(user: AnyUser, field: str) -> Q:
    """True for a document whose link ``field`` names an opportunity visible to the user: the
    same rows as ``Q(field__in=opportunities_visible_to(user))``, with a sales user's rule
    split in two: the opportunities the user created, owns or is to contact (one subquery the
    database answers from the three columns' indexes) or is assigned (the assignments' index).
    As one disjunction the database could use no index and scanned every opportunity for each
    query (1.3 s at 1M in the lost-quotations report)."""
    visible = opportunities_visible_to(user)
    if visible.query.is_empty():
        return Q(pk__in=[])
    if not visible.query.has_filters():
        return Q(**{f"{field}__isnull": False})
    worked = Opportunity.objects.filter(_worked_by(user))
    return Q(**{f"{field}__in": worked.values("pk")}) | Q(
        **{f"{field}__in": assigned_names(user, Opportunity.doctype)}
    )


def sees_every_opportunity(user: AnyUser) -> bool:
    """Whether ``opportunities_visible_to(user)`` is every opportunity (the board's summary,
    which holds every row, answers only such a user)."""
    if has_role(user, PURCHASE_USER):
        return True
    return can_write_opportunities(user) and sees_all_sales_records(user)


def leads_visible_to(user: AnyUser) -> QuerySet[Lead]:
    if not is_sales(user):
        return Lead.objects.none()
    if sees_all_sales_records(user):
        return Lead.objects.all()
    return Lead.objects.filter(_lead_rule(user))


def customers_visible_to(user: AnyUser) -> QuerySet[Customer]:
    return Customer.objects.all() if can_read_opportunities(user) else Customer.objects.none()


def contacts_visible_to(user: AnyUser) -> QuerySet[Contact]:
    """Contacts of customers and suppliers are shared; a lead's contacts follow the lead."""
    if not can_read_opportunities(user):
        return Contact.objects.none()
    if sees_all_sales_records(user):
        return Contact.objects.all()
    return Contact.objects.filter(
        ~Q(link_doctype=Lead.doctype) | Q(link_name__in=leads_visible_to(user).values("pk"))
    )


def restrict_to_visible_opportunities(queryset: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """Documents made from an opportunity are visible only with their opportunity."""
    return restrict_to_visible_parents(queryset, "opportunity", opportunities_visible_to(user))


def get_opportunity_for(
    user: AnyUser, name: str, *, write: bool = False, lock: bool = False
) -> Opportunity:
    """``lock``: read ``FOR UPDATE`` (core.access.get_visible), for a change that claims it."""
    opportunity = get_visible(
        opportunities_visible_to(user),
        "Opportunity",
        name,
        user=user,
        write=write,
        can_write=can_write_opportunities,
        key=("crm.opportunities",),
        lock=lock,
    )
    # A purchase user who is also a sales user reads every opportunity but changes only those
    # the sales rule gives them.
    mixed = write and has_role(user, PURCHASE_USER) and not sees_all_sales_records(user)
    if mixed and not opportunities_writable_by(user).filter(pk=opportunity.pk).exists():
        raise PermissionDeniedError(f"You may not change Opportunity {name}.")
    return opportunity


def get_lead_for(user: AnyUser, name: str, *, write: bool = False) -> Lead:
    return get_visible(
        leads_visible_to(user),
        "Lead",
        name,
        user=user,
        write=write,
        can_write=is_sales,
        key=("crm.leads",),
    )


def get_customer_for(user: AnyUser, name: str, *, write: bool = False) -> Customer:
    return get_visible(
        customers_visible_to(user),
        "Customer",
        name,
        user=user,
        write=write,
        can_write=is_sales,
        key=("crm.customers",),
    )


def get_contact_for(user: AnyUser, name: str, *, write: bool = False) -> Contact:
    return get_visible(
        contacts_visible_to(user), "Contact", name, user=user, write=write, can_write=is_sales
    )


def check_party_link(user: AnyUser, body: object) -> None:
    """An opportunity may name as its party only a lead the user sees (404 otherwise, as if it
    did not exist); customers are shared."""
    party = getattr(body, "party_name", None)
    if not party:
        return
    kind = getattr(body, "opportunity_from", None)
    if kind == Lead.doctype or (kind is None and Lead.objects.filter(pk=party).exists()):
        get_lead_for(user, str(party))


def check_contact_link(user: AnyUser, body: object) -> None:
    """A contact may be linked only to a lead the user sees (404 otherwise)."""
    link = getattr(body, "link_name", None)
    if getattr(body, "link_doctype", None) == Lead.doctype and link:
        get_lead_for(user, str(link))


def check_opportunity_link(user: AnyUser, body: object) -> None:
    """A document made from an opportunity (a quotation, a supplier quotation...) may name only
    one the user can see: else 404, as if it did not exist, naming the field."""
    opportunity = getattr(body, "opportunity", None)
    if opportunity:
        try:
            get_opportunity_for(user, opportunity)
        except NotFoundError as exc:
            raise NotFoundError(exc.message, fields={"opportunity": [exc.message]}) from exc
