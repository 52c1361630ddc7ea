"""Suppliers and supplier groups: create, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import ProtectedError

from opportune.buying.models import Supplier, SupplierGroup
from opportune.core.deleted import keep_deleted
from opportune.core.documents import (
    insert_named_after,
    lock_document,
    require_version,
    save_document,
)
from opportune.core.errors import ConflictError, FieldErrors, ValidationError
from opportune.core.fields import Link, apply_fields, check_known_fields, validate_model_fields
from opportune.crm import services as crm
from opportune.masters.models import Currency

if TYPE_CHECKING:
    from opportune.core.users import User

SUPPLIER_SPEC = {
    "supplier_name": None,
    "country": None,
    "email_id": None,
    "phone": None,
    "website": None,
    "disabled": None,
    "supplier_group": Link(SupplierGroup, "Supplier Group"),
    "default_currency": Link(Currency, "Currency", {"enabled": True}),
}


def _check(supplier: Supplier, errors: FieldErrors) -> None:
    if not (supplier.supplier_name or "").strip():
        errors.add("supplier_name", "Give the supplier's name.")
    validate_model_fields(supplier, errors)


def create_supplier(*, data: Mapping[str, Any], by: User) -> Supplier:
    check_known_fields(data, SUPPLIER_SPEC)
    supplier = Supplier()
    errors = FieldErrors()
    apply_fields(supplier, data, SUPPLIER_SPEC, errors)
    _check(supplier, errors)
    errors.raise_if_any()
    supplier.supplier_name = supplier.supplier_name.strip()
    insert_named_after(supplier, supplier.supplier_name, by=by)
    return supplier


def update_supplier(
    supplier: Supplier, *, data: Mapping[str, Any], version: int | None, by: User
) -> Supplier:
    check_known_fields(data, SUPPLIER_SPEC)
    require_version(version)
    with transaction.atomic():
        locked = lock_document(Supplier, supplier.pk, expected_version=version, by=by)
        errors = FieldErrors()
        apply_fields(locked, data, SUPPLIER_SPEC, errors)
        _check(locked, errors)
        errors.raise_if_any()
        save_document(locked, by=by)
    return locked


def delete_supplier(supplier: Supplier, *, version: int | None, by: User) -> None:
    """Delete under the row lock (and ``version`` when the caller read one), with its contacts;
    a supplier with quotations or requests for quotation is disabled instead (409)."""
    crm.delete_party_with_contacts(
        supplier,
        version=version,
        by=by,
        refused="This supplier has quotations or requests for quotation; disable it instead.",
    )


def create_supplier_group(*, name: str, by: User) -> SupplierGroup:
    name = (name or "").strip()
    if not name:
        raise ValidationError.for_field("name", "Give the group's name.")
    if len(name) > 140:
        raise ValidationError.for_field("name", "At most 140 characters.")
    if SupplierGroup.objects.filter(pk=name).exists():
        raise ConflictError(
            f"Supplier Group '{name}' already exists.", fields={"name": ["already exists"]}
        )
    return SupplierGroup.objects.create(name=name)


def delete_supplier_group(group: SupplierGroup, *, by: User) -> None:
    try:
        with transaction.atomic():
            keep_deleted(group, by=by)
            group._history_user = by  # type: ignore[attr-defined]
            group.delete()
    except ProtectedError as exc:
        raise ConflictError("Suppliers still belong to this group.") from exc
