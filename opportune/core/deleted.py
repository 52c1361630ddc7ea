"""Deleted documents (ERPNext's Deleted Document): every delete through the services keeps a
copy of the record and its item rows, from which a manager can restore it exactly.

``keep_deleted`` is called by the delete paths (``core.documents.delete_document``,
``masters.services.delete_master`` and the few others) just before the row goes, inside their
transaction: a delete that is refused keeps nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core import serializers
from django.db import models, transaction
from django.utils import timezone

from opportune.core.audit import can_audit, current_door
from opportune.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from opportune.core.models import DeletedDocument, doctype_of
from opportune.core.timeline import RESTORED

if TYPE_CHECKING:
    from opportune.core.users import AnyUser, User


def child_rows(instance: models.Model) -> list[models.Model]:
    """The rows that go with ``instance`` when it is deleted (its item rows, an RFQ's
    suppliers): every relation to it that cascades, but history."""
    rows: list[models.Model] = []
    for rel in instance._meta.related_objects:
        if not rel.one_to_many or rel.on_delete is not models.CASCADE:
            continue
        accessor = rel.get_accessor_name()
        assert accessor is not None
        related: Any = rel.related_model
        rows.extend(related._default_manager.filter(**{rel.field.name: instance.pk}).order_by("pk"))
    return rows


def keep_deleted(instance: models.Model, *, by: User | None) -> DeletedDocument:
    """Keep a copy of ``instance`` and its child rows before it is deleted."""
    records = serializers.serialize("python", [instance, *child_rows(instance)])
    return DeletedDocument.objects.create(
        doctype=doctype_of(type(instance)),
        name=str(instance.pk),
        model=instance._meta.label_lower,
        data={"records": records},
        deleted_by=by,
        deleted_at=timezone.now(),
        door=current_door(),
    )


def deleted_visible_to(user: AnyUser) -> Any:
    """The deleted documents ``user`` may see: all for an auditor (a Sales Manager), else
    refused (403: the page and the API exist for everyone, their content for managers)."""
    if not can_audit(user):
        raise PermissionDeniedError("Only managers may see deleted documents.")
    return DeletedDocument.objects.select_related("deleted_by", "restored_by")


def get_deleted_for(user: AnyUser, deleted_id: Any) -> DeletedDocument:
    try:
        key = int(deleted_id)
    except (TypeError, ValueError):
        key = None
    found = deleted_visible_to(user).filter(pk=key).first() if key is not None else None
    if found is None:
        raise NotFoundError(f"Deleted document {deleted_id} not found.")
    return cast(DeletedDocument, found)


def restore_deleted_document(deleted: DeletedDocument, *, by: User) -> models.Model:
    """Bring a deleted document back as it was (same name, values and item rows); its history
    records the restore. Refused (409, nothing changed) when it was restored already, when its
    name was taken again, or when a record it refers to is gone."""
    if not can_audit(by):
        raise PermissionDeniedError("Only managers may restore deleted documents.")
    with transaction.atomic():
        kept = DeletedDocument.objects.select_for_update().filter(pk=deleted.pk).first()
        if kept is None:
            raise NotFoundError(f"Deleted document {deleted.pk} not found.")
        label = f"{kept.doctype} {kept.name}"
        if kept.restored:
            raise ConflictError(f"{label} was restored already.")
        objects = list(serializers.deserialize("python", kept.data["records"]))
        document, rows = objects[0], objects[1:]
        model = type(document.object)
        if model._default_manager.filter(pk=document.object.pk).exists():
            raise ConflictError(
                f"{label} cannot be restored: a {kept.doctype} named {kept.name} exists again. "
                "Nothing was restored."
            )
        _refuse_missing_links(label, document.object, objects)
        for row in rows:
            if type(row.object)._default_manager.filter(pk=row.object.pk).exists():
                raise ConflictError(f"{label} cannot be restored: its rows exist again.")
        record: Any = document.object
        record._history_user = by
        record._change_reason = RESTORED
        record.save(force_insert=True)
        for field_name, values in (document.m2m_data or {}).items():
            getattr(record, field_name).set(values)
        for row in rows:
            row.object.save(force_insert=True)
        kept.restored, kept.restored_at, kept.restored_by = True, timezone.now(), by
        kept.save(update_fields=["restored", "restored_at", "restored_by"])
    return cast(models.Model, record)


def _refuse_missing_links(label: str, document: models.Model, objects: list[Any]) -> None:
    """409 naming every record the copy refers to that no longer exists (one query per kind
    of record referred to)."""
    wanted: dict[Any, set[Any]] = {}
    for obj in objects:
        instance = obj.object
        for f in instance._meta.concrete_fields:
            if not f.many_to_one:
                continue
            value = getattr(instance, f.attname)
            related: Any = f.related_model
            if value is None or (related is type(document) and value == document.pk):
                continue
            wanted.setdefault(related, set()).add(value)
        for field_name, values in (obj.m2m_data or {}).items():
            related = instance._meta.get_field(field_name).related_model
            wanted.setdefault(related, set()).update(values)
    missing: list[str] = []
    for related, values in wanted.items():
        present = set(related._default_manager.filter(pk__in=values).values_list("pk", flat=True))
        missing.extend(f"{doctype_of(related)} '{v}'" for v in sorted(values - present, key=str))
    if missing:
        raise ConflictError(
            f"{label} cannot be restored: it refers to {', '.join(missing)}, which no longer "
            "exist(s). Nothing was restored."
        )
