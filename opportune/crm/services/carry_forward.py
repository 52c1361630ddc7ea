"""Carry forward: when an opportunity is made from a lead and CRM Settings
``carry_forward_communication_and_comments`` is on, what was said on the lead appears on the
new opportunity's timeline (ERPNext's Opportunity.after_insert, ERPNEXT_BEHAVIOUR.md §3.1).

Comments are copied here (decision 0018: copies, each keeping its author, text and time). The
lead's emails are linked, not copied (as ERPNext's timeline links; a Message-ID is unique): the
e-mail engine (comms, below crm) shows them on the opportunity too (decision 0016). Other apps
add their own kinds of conversation with ``register_carry_forward``. Every copier runs inside
the transaction that creates the opportunity, in the order registered, after the comments and
emails; one that raises rolls the opportunity back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from opportune.comms.services import link_thread
from opportune.core.models import Comment
from opportune.crm.models import CRMSettings, Lead, Opportunity

if TYPE_CHECKING:
    from opportune.core.users import User

# copier(lead, opportunity, by=acting user or None): carries one kind of record over
Copier = Callable[..., None]
_copiers: list[Copier] = []


def register_carry_forward(copier: Copier) -> None:
    """Add a copier, called as ``copier(lead, opportunity, by=user)`` (idempotent)."""
    if copier not in _copiers:
        _copiers.append(copier)


def copy_lead_comments(lead: Lead, opportunity: Opportunity, *, by: User | None) -> None:
    """Copy the users' comments of the lead (not status labels or system notes, as ERPNext)
    onto the opportunity, each with its author, text and time: one read, one INSERT."""
    comments = Comment.objects.filter(
        reference_doctype=Lead.doctype,
        reference_name=lead.name,
        comment_type=Comment.Type.COMMENT,
    ).order_by("creation", "id")
    Comment.objects.bulk_create(
        Comment(
            reference_doctype=Opportunity.doctype,
            reference_name=opportunity.name,
            comment_type=c.comment_type,
            content=c.content,
            owner_id=c.owner_id,
            creation=c.creation,
        )
        for c in comments
    )


def link_lead_emails(lead: Lead, opportunity: Opportunity) -> int:
    """Show the lead's emails on the opportunity (links; replies keep threading as before)."""
    return link_thread(
        from_doctype=Lead.doctype,
        from_name=lead.name,
        to_doctype=Opportunity.doctype,
        to_name=opportunity.name,
    )


def carry_forward_from_lead(lead: Lead, opportunity: Opportunity, *, by: User | None) -> bool:
    """Carry the lead's comments and emails (and whatever the registered copiers add) over to
    the new opportunity when the setting is on; True when it did."""
    if not CRMSettings.current().carry_forward_communication_and_comments:
        return False
    copy_lead_comments(lead, opportunity, by=by)
    link_lead_emails(lead, opportunity)
    for copier in _copiers:
        copier(lead, opportunity, by=by)
    return True
