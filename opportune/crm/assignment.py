"""Opportunity and Lead as document types of the assignment rules (automation.registry): the
fields a rule's condition may name, the record rules that find one for a user, and the owner
field that follows the assignment (``opportunity_owner``, ``lead_owner``: ERPNext's ``_assign``,
which its CRM reports call the owner). Registered from ``CrmConfig.ready()``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone

from opportune.accounts.roles import is_sales
from opportune.automation.registry import DocumentType, register_document_type
from opportune.core.documents import field_values, lock_document, save_document
from opportune.core.models import Document
from opportune.crm import access
from opportune.crm.models import Lead, Opportunity

if TYPE_CHECKING:
    from opportune.core.users import User

OPPORTUNITY_FIELDS = (
    "opportunity_from",
    "party_name",
    "customer_name",
    "title",
    "opportunity_type",
    "status",
    "sales_stage",
    "source",
    "campaign",
    "opportunity_owner",
    "transaction_date",
    "expected_closing",
    "probability",
    "currency",
    "opportunity_amount",
    "base_opportunity_amount",
    "with_items",
    "contact_email",
    "territory",
    "customer_group",
    "industry",
    "contact_date",
    "contact_by",
    "owner",
)
LEAD_FIELDS = (
    "lead_name",
    "company_name",
    "email_id",
    "job_title",
    "city",
    "country",
    "source",
    "campaign",
    "territory",
    "industry",
    "lead_owner",
    "status",
    "disabled",
    "owner",
)


def _owner_follows(model: type[Document], field: str) -> Callable[[Any, User, User | None], None]:
    """The document's owner field becomes the assignee (a saved change: version and history),
    on the caller's instance too. A document not inserted yet (a create runs its rules before
    its INSERT) only takes the value, which its INSERT and first history record then hold.
    ``fresh``: the caller inserted the document in this transaction (two queries: the UPDATE
    and the history record, instead of four)."""

    def set_owner(document: Any, user: User, by: User | None, *, fresh: bool = False) -> None:
        if getattr(document, f"{field}_id") == user.pk:
            return
        if document._state.adding:  # the INSERT to come writes it
            setattr(document, field, user)
            return
        if fresh:  # inserted in this transaction: the instance is the row, which no one else
            # can have changed, so the version moves on in the same UPDATE as the owner
            document._loaded_values = field_values(document)
            document.version += 1
            document.modified, document.modified_by = timezone.now(), by
            setattr(document, field, user)
            save_document(document, by=by)
            return
        locked = lock_document(model, document.pk, expected_version=None, by=by)
        setattr(locked, field, user)
        save_document(locked, by=by)
        setattr(document, field, user)
        document.version, document.modified = locked.version, locked.modified
        document.modified_by = by
        document._loaded_values = field_values(document)

    return set_owner


def register() -> None:
    """Opportunity and Lead, each with its owner field, record-rule lookup and page."""
    for model, field_names, owner_field, lookup, page in (
        (
            Opportunity,
            OPPORTUNITY_FIELDS,
            "opportunity_owner",
            access.get_opportunity_for,
            "crm:opportunity_detail",
        ),
        (Lead, LEAD_FIELDS, "lead_owner", access.get_lead_for, "crm:lead_detail"),
    ):
        register_document_type(
            DocumentType(
                doctype=model.doctype,
                model=model,
                field_names=field_names,
                owner_field=owner_field,
                set_owner=_owner_follows(model, owner_field),
                lookup=lookup,
                can_be_assigned=is_sales,
                url=partial(_page_of, page),
            )
        )


def _page_of(url_name: str, document: Any) -> str:
    return reverse(url_name, args=[document.pk])
