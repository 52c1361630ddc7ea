"""Merging two leads, customers or contacts (decision 0025): managers only, field by field.

The survivor (``into``) takes the values the manager chose from the one that goes, then
everything that pointed at the one that goes points at it (core.merge: opportunities,
quotations, sales orders, contacts, comments, emails, events, assignments, notifications); the
one that goes is deleted (kept in the deleted documents) and both timelines say what happened.
One transaction: any failure changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction

from opportune.accounts.roles import is_manager
from opportune.core.documents import delete_document, lock_document, save_document
from opportune.core.errors import (
    ConflictError,
    FieldErrors,
    PermissionDeniedError,
    StaleVersionError,
    ValidationError,
)
from opportune.core.merge import move_references
from opportune.core.models import Comment, Document
from opportune.core.timeline import add_comment
from opportune.crm.models import Contact, Customer, Lead
from opportune.crm.services.parties import CONTACT_SPEC, CUSTOMER_SPEC, LEAD_SPEC, _check_contact
from opportune.crm.status import refresh_lead_status

if TYPE_CHECKING:
    from opportune.core.users import User

P = TypeVar("P", Lead, Customer, Contact)

# the fields a manager chooses between (what a user may write on each)
MERGE_FIELDS: dict[type[Document], tuple[str, ...]] = {
    Lead: tuple(LEAD_SPEC),
    Customer: tuple(CUSTOMER_SPEC),
    Contact: tuple(CONTACT_SPEC),
}
THIS, INTO = "this", "into"


def merge_fields(model: type[Document]) -> tuple[str, ...]:
    return MERGE_FIELDS[model]


def title_of(document: Lead | Customer | Contact) -> str:
    if isinstance(document, Lead):
        return document.title
    if isinstance(document, Customer):
        return document.customer_name
    return document.full_name


def check_may_merge(doctype: str, by: Any) -> None:
    """Managers merge (the API, the page and its form alike)."""
    if not is_manager(by):
        raise PermissionDeniedError(f"Only managers may merge {doctype.lower()}s.")


def _check_request(model: type[P], loser: P, into: str, keep: Mapping[str, str], by: User) -> P:
    doctype = model.doctype
    check_may_merge(doctype, by)
    into = (into or "").strip() if isinstance(into, str) else ""
    if not into:
        raise ValidationError.for_field("into", f"Name the {doctype.lower()} to merge into.")
    if into == loser.pk:
        raise ValidationError.for_field("into", f"A {doctype.lower()} cannot merge into itself.")
    survivor = model._default_manager.filter(pk=into).first()
    if survivor is None:
        raise ValidationError.for_field("into", f"{doctype} '{into}' does not exist.")
    allowed = set(merge_fields(model))
    unknown = sorted(str(f) for f in keep if f not in allowed)
    if unknown:
        raise ValidationError.for_field(
            "keep", f"Not a field of a {doctype.lower()} to choose: {', '.join(unknown)}."
        )
    wrong = sorted(str(f) for f, side in keep.items() if side not in (THIS, INTO))
    if wrong:
        raise ValidationError.for_field("keep", f"Say 'this' or 'into' for: {', '.join(wrong)}.")
    return survivor


def merge_party(
    model: type[P],
    loser: P,
    *,
    into: str,
    keep: Mapping[str, str] | None = None,
    version: int | None = None,
    into_version: int | None = None,
    by: User,
) -> P:
    """Merge ``loser`` into the document named ``into`` (same model), keeping the loser's value
    of each field ``keep`` says ``"this"`` for. ``version`` (the loser's, as for any action on
    it) and ``into_version`` (the survivor's) are checked when sent: a stale one is a 409.
    Answers the survivor."""
    keep = dict(keep or {})
    _check_request(model, loser, into, keep, by)
    doctype = model.doctype
    with transaction.atomic():
        # the one that goes first, the other after: two merges of the same pair in opposite
        # directions wait for each other instead of both going through
        gone = lock_document(model, loser.pk, expected_version=version, by=by)
        try:
            survivor = lock_document(model, into, expected_version=into_version, by=by)
        except StaleVersionError as exc:  # named for what the caller sent
            raise ConflictError(exc.message, fields={"into_version": ["stale version"]}) from exc
        chosen = [f for f, side in keep.items() if side == THIS]
        for name in chosen:
            attname = model._meta.get_field(name).attname  # type: ignore[union-attr]
            setattr(survivor, attname, getattr(gone, attname))
        if isinstance(survivor, Contact):
            _check_linked_party(survivor)
        primary_before = _has_primary_contact(survivor)
        if primary_before:  # the survivor's primary contact stays the primary one
            Contact.objects.filter(
                link_doctype=doctype, link_name=gone.pk, is_primary_contact=True
            ).update(is_primary_contact=False)
        counts = move_references(model, gone, survivor, by=by)
        save_document(survivor, by=by)
        if isinstance(survivor, Lead):
            refresh_lead_status(survivor)
        moved = ", ".join(f"{label.split('.')[-1]}: {n}" for label, n in sorted(counts.items()))
        kept = f"; kept its {', '.join(chosen)}" if chosen else ""
        add_comment(
            doctype,
            survivor.pk,
            content=f"Merged {doctype} {gone.pk} ({title_of(gone)}) into this {doctype.lower()}"
            f"{kept}; moved: {moved or 'nothing'}.",
            by=by,
            comment_type=Comment.Type.INFO,
        )
        delete_document(model, gone, version=None, by=by)
        add_comment(  # after the move: it stays on the name of the one that went
            doctype,
            gone.pk,
            content=f"Merged into {doctype} {survivor.pk} ({title_of(survivor)}) and deleted.",
            by=by,
            comment_type=Comment.Type.INFO,
        )
    survivor.refresh_from_db()
    return survivor


def _has_primary_contact(party: Any) -> bool:
    if isinstance(party, Contact):
        return False
    return Contact.objects.filter(
        link_doctype=party.doctype, link_name=party.pk, is_primary_contact=True
    ).exists()


def _check_linked_party(contact: Contact) -> None:
    errors = FieldErrors()
    _check_contact(contact, errors)
    if errors:
        raise ValidationError("The merged contact would not be valid.", fields=errors.fields)
