"""The life of a submittable document: Draft (0) -> Submitted (1) -> Cancelled (2), ERPNext's
docstatus, with its one transition table and the two checks every document service uses."""

from __future__ import annotations

from typing import Protocol

from django.db import models

from opportune.core.errors import ConflictError


class DocStatus(models.IntegerChoices):
    DRAFT = 0, "Draft"
    SUBMITTED = 1, "Submitted"
    CANCELLED = 2, "Cancelled"


# The only moves a document's docstatus can make.
DOCSTATUS_TRANSITIONS: dict[int, frozenset[int]] = {
    DocStatus.DRAFT: frozenset({DocStatus.SUBMITTED}),
    DocStatus.SUBMITTED: frozenset({DocStatus.CANCELLED}),
    DocStatus.CANCELLED: frozenset(),
}
PAST_TENSE: dict[int, str] = {DocStatus.SUBMITTED: "submitted", DocStatus.CANCELLED: "cancelled"}


class Submittable(Protocol):
    doctype: str
    name: str
    docstatus: int
    status: str


def require_draft(document: Submittable, *, doing: str = "changed") -> None:
    """Edits (and deletes) happen only in Draft; a submitted or cancelled document is a record."""
    if document.docstatus != DocStatus.DRAFT:
        hint = "; cancel it instead" if doing == "deleted" else ""
        raise ConflictError(
            f"{document.doctype} {document.name} is {document.status}: only a draft can be "
            f"{doing}{hint}.",
            fields={"docstatus": [f"is {DocStatus(document.docstatus).label}"]},
        )


def move_docstatus(document: Submittable, to: int) -> None:
    """Apply one step of the docstatus transition table, or refuse it (409)."""
    if to not in DOCSTATUS_TRANSITIONS[document.docstatus]:
        current = DocStatus(document.docstatus).label
        why = "already " + PAST_TENSE[to] if document.docstatus == to else current
        raise ConflictError(
            f"{document.doctype} {document.name} cannot be {PAST_TENSE[to]}: it is {why}.",
            fields={"docstatus": [f"is {current}"]},
        )
    document.docstatus = to
