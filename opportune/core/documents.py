"""Optimistic locking and the audit columns every document service uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.db import transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from opportune.core.errors import ConflictError, NotFoundError, StaleVersionError, ValidationError
from opportune.core.models import Document

if TYPE_CHECKING:
    from opportune.core.users import User

D = TypeVar("D", bound=Document)


def require_version(version: int | None) -> None:
    """Updates name the version the caller read; without it a change could overwrite another."""
    if version is None:
        raise ValidationError.for_field(
            "version", "Send the version you read (in the body or as If-Match)."
        )


def lock_document(model: type[D], name: str, *, expected_version: int | None, by: User | None) -> D:
    """Claim the right to change a document and return it locked, version already bumped.

    Must run inside ``transaction.atomic()``. The claim is one conditional UPDATE
    (``WHERE version = expected``): of two concurrent writers holding the same version the
    database lets exactly one through, on SQLite and PostgreSQL alike; the other gets
    ``StaleVersionError`` (HTTP 409). ``expected_version=None`` skips the comparison (internal
    effects such as a quotation moving its opportunity) but still bumps the version, so any
    client holding the old one is refused afterwards.
    """
    rows = model._default_manager.filter(pk=name)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    now = timezone.now()
    claimed = rows.update(version=F("version") + 1, modified=now, modified_by=by)
    if not claimed:
        current = model._default_manager.filter(pk=name).values_list("version", flat=True).first()
        if current is None:
            raise NotFoundError(f"{model.doctype} {name} not found.")
        raise StaleVersionError(model.doctype, name, expected=expected_version, current=current)
    return model._default_manager.select_for_update().get(pk=name)


def delete_document(
    model: type[D],
    document: D,
    *,
    version: int | None,
    by: User,
    check: Callable[[D], None] | None = None,
    protected: str = "Other documents still refer to it; it cannot be deleted.",
) -> None:
    """Delete a document like any other write: under its row lock, refused (409) when it changed
    since ``version`` was read (``None``: the caller read none, the lock is still taken), after
    ``check`` had its say on the locked row; still referenced is a 409 naming ``protected``."""
    with transaction.atomic():
        locked = lock_document(model, document.pk, expected_version=version, by=by)
        if check is not None:
            check(locked)
        locked._history_user = by
        try:
            with transaction.atomic():
                locked.delete()
        except ProtectedError as exc:
            raise ConflictError(protected) from exc


def stamp_new(document: Document, *, by: User) -> None:
    """Fill the audit columns of a document about to be inserted."""
    now = timezone.now()
    document.creation = document.creation or now
    document.modified = now
    document.owner = by
    document.modified_by = by
    document.version = 1
