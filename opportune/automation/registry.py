"""The document types assignment rules work on, registered by the apps that own them (crm
registers Opportunity and Lead in its ``AppConfig.ready()``): automation never imports them.

A registration says which fields a condition may name (and how their values compare), which of
them hold a user (for Based on Field), how to find a document for a user (the app's record
rules), whom it may be given to, where its page is, and how its owner field follows the
assignment (``opportunity_owner``, ``lead_owner``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models

from opportune.automation.conditions import BOOL, DATE, DATETIME, NUMBER, TEXT
from opportune.core.errors import ValidationError


@dataclass(frozen=True)
class DocumentType:
    doctype: str
    model: type[models.Model]
    field_names: Sequence[str]  # what a condition may name
    owner_field: str  # follows the assignment: "opportunity_owner"
    set_owner: Callable[..., None]  # (document, user, by, *, fresh=False)
    lookup: Callable[..., Any]  # (user, name, *, write=False) -> the document, else 404/403
    can_be_assigned: Callable[[Any], bool]  # (user) -> may be given this kind of document
    url: Callable[[Any], str]  # (document) -> its page
    fields: dict[str, str] = field(default_factory=dict)  # filled: name -> kind
    user_fields: tuple[str, ...] = ()  # filled: the fields that hold a user

    def values(self, document: Any, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The document's values by field name (``names``, else all): a link as the linked
        name, a user as the username (read only when named: a query each)."""
        out: dict[str, Any] = {}
        for name in self.fields if names is None else [n for n in self.fields if n in names]:
            model_field = self.model._meta.get_field(name)
            if name in self.user_fields:
                user = getattr(document, name)
                out[name] = user.get_username() if user is not None else None
            elif isinstance(model_field, models.ForeignKey):
                out[name] = getattr(document, model_field.attname)
            else:
                out[name] = getattr(document, name)
        return out

    def values_from_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A document described in a request (the dry run): only known fields."""
        unknown = sorted(set(body) - set(self.fields))
        if unknown:
            raise ValidationError.for_field(
                "document", f"{self.doctype} has no field {', '.join(unknown)}."
            )
        return dict(body)


_TYPES: dict[str, DocumentType] = {}


def _kind(model_field: Any) -> str:
    if isinstance(model_field, models.DateTimeField):
        return DATETIME
    if isinstance(model_field, models.DateField):
        return DATE
    if isinstance(model_field, models.BooleanField):
        return BOOL
    if isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField):
        return NUMBER
    return TEXT


def register_document_type(kind: DocumentType) -> None:
    user_model = settings.AUTH_USER_MODEL.lower()
    fields, users = {}, []
    for name in kind.field_names:
        model_field = kind.model._meta.get_field(name)
        fields[name] = _kind(model_field)
        related = getattr(model_field, "related_model", None)
        if related is not None and related._meta.label_lower == user_model:
            users.append(name)
    kind.fields.clear()
    kind.fields.update(fields)
    object.__setattr__(kind, "user_fields", tuple(users))
    _TYPES[kind.doctype] = kind


def document_types() -> list[str]:
    return sorted(_TYPES)


def document_type(doctype: str) -> DocumentType | None:
    return _TYPES.get(doctype)


def document_type_of(document: Any) -> DocumentType | None:
    return _TYPES.get(getattr(document, "doctype", ""))
