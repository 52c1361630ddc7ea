"""Comments on the CRM's documents that have a timeline (opportunities and leads): one service
for both, so a lead's comments behave exactly as an opportunity's (the @mentions are told, if
they may see the document)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.urls import reverse

from opportune.core.errors import ValidationError
from opportune.core.models import Comment
from opportune.core.timeline import add_comment
from opportune.crm.access import leads_visible_to, opportunities_visible_to
from opportune.crm.models import Lead, Opportunity
from opportune.notifications.services import notify_mentions

if TYPE_CHECKING:
    from opportune.core.users import User


@dataclass(frozen=True)
class Commentable:
    url_name: str  # the document's page (the mention's link)
    visible_to: Callable[[User], QuerySet[Any]]


COMMENTABLE: dict[str, Commentable] = {
    Opportunity.doctype: Commentable("crm:opportunity_detail", opportunities_visible_to),
    Lead.doctype: Commentable("crm:lead_detail", leads_visible_to),
}


def add_document_comment(document: Opportunity | Lead, *, content: str, by: User) -> Comment:
    """A user's comment on the document's timeline; an empty one is refused (``content``)."""
    content = (content or "").strip()
    if not content:
        raise ValidationError.for_field("content", "A comment cannot be empty.")
    doctype = document.doctype
    kind = COMMENTABLE[doctype]
    comment = add_comment(doctype, document.name, content=content, by=by)
    # the @usernames of the comment are told, if they may see the document
    notify_mentions(
        content,
        reference_type=doctype,
        reference_name=document.name,
        link=reverse(kind.url_name, args=[document.name]),
        by=by,
        key_prefix=f"mention:comment:{comment.pk}",
        visible_to=lambda user: kind.visible_to(user).filter(pk=document.pk).exists(),
    )
    return comment


def add_lead_comment(lead: Lead, *, content: str, by: User) -> Comment:
    return add_document_comment(lead, content=content, by=by)
