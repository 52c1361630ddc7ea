"""Domain errors raised by services; the API and the pages translate them to answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a business rule refused the operation. Nothing was written."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    @property
    def details(self) -> dict[str, object]:
        """More keys of the API's error object, beside code, message and fields."""
        return {}


class ValidationError(DomainError):
    """Bad input: `fields` names each offending field with its messages."""

    code = "validation_error"
    http_status = 422

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationError:
        return cls(message, fields={field: [message]})


class ConflictError(DomainError):
    """The document changed since the caller read it, or its state forbids the action."""

    code = "conflict"
    http_status = 409


class DuplicateError(ConflictError):
    """A new document looks like one that exists (the same email address or phone number):
    refused unless the caller says to create it anyway. ``candidates``: the existing ones, each
    a small dict (name, title, email, phones), in the error object beside ``fields``."""

    code = "duplicate"

    def __init__(
        self, message: str, *, fields: dict[str, list[str]], candidates: list[dict[str, str]]
    ):
        super().__init__(message, fields=fields)
        self.candidates = candidates

    @property
    def details(self) -> dict[str, object]:
        return {"candidates": self.candidates}


class StaleVersionError(ConflictError):
    def __init__(self, doctype: str, name: str, *, expected: int | None, current: int | None):
        super().__init__(
            f"{doctype} {name} was changed by someone else (your version {expected}, "
            f"current version {current}). Reload it and apply your change again.",
            fields={"version": ["stale version"]},
        )
        self.current = current


class NotFoundError(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    http_status = 403


class FieldErrors:
    """Collects messages for several fields, then raises one ValidationError naming them all."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            messages = next(iter(self.fields.values()))
            summary = messages[0] if len(self.fields) == 1 else "Some fields are not valid."
            raise ValidationError(summary, fields=self.fields)
