"""Likely duplicates of a new lead, customer or contact (decision 0025).

- The same email address (without case) or the same phone number (by its key: without the usual
  separators, its last 9 characters, so "+49 30 1234-5678" is "030 12345678") as an existing
  one of the same kind: a hard candidate. Creating it is refused (409 ``duplicate`` with the
  candidates) unless the caller says to create it anyway (``allow_duplicate``).
- A similar name: only a warning on the page. PostgreSQL finds them by trigram similarity
  (``%``, served by a GIN trigram index); SQLite by a prefix of the name.
- ERPNext's own rule comes first for a lead's email address: another lead with it refuses the
  save whatever the caller says, unless CRM Settings ``allow_lead_duplication_based_on_emails``
  is on (Lead.check_email_id_is_unique, on every save: here on a create and on an update that
  changes the address).

Every query reads an index (crm.models.duplicate_indexes) and takes a few rows at most.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper

from opportune.core.errors import DuplicateError
from opportune.core.models import Document
from opportune.crm.models import (
    PHONE_KEY_LENGTH,
    PHONE_SEPARATORS,
    Contact,
    CRMSettings,
    Customer,
    Lead,
    PhoneKey,
)

CANDIDATES = 10  # at most, in a 409 or on the page
SIMILAR = 5
PHONE_FIELDS = ("phone", "mobile_no")
_MIN_PHONE_DIGITS = 6  # fewer: not a number worth comparing ("n/a", an extension)


@dataclass(frozen=True)
class Kind:
    model: type[Document]
    doctype: str
    name_field: str  # the one a similar name is looked for in ("" : none)

    def title(self, document: Any) -> str:
        if isinstance(document, Contact):
            return document.full_name
        if isinstance(document, Lead):
            return document.lead_name
        return str(document.customer_name)


KINDS = {
    "Lead": Kind(Lead, "Lead", "lead_name"),
    "Customer": Kind(Customer, "Customer", "customer_name"),
    "Contact": Kind(Contact, "Contact", ""),
}


def phone_key(number: str | None) -> str:
    """What a phone number is compared by (the SQL twin is crm.models.PhoneKey); "" when it
    has too few digits to mean anything."""
    value = (number or "").strip()
    for separator in PHONE_SEPARATORS:
        value = value.replace(separator, "")
    if sum(c.isdigit() for c in value) < _MIN_PHONE_DIGITS:
        return ""
    return value[-PHONE_KEY_LENGTH:]


def candidate(kind: Kind, document: Any) -> dict[str, str]:
    return {
        "doctype": kind.doctype,
        "name": document.pk,
        "title": kind.title(document),
        "email_id": document.email_id,
        "phone": document.phone,
        "mobile_no": document.mobile_no,
    }


def _matching(
    kind: Kind, *, email: str, phones: Iterable[str], exclude: str | None
) -> QuerySet[Any] | None:
    """The rows with the address or one of the phone keys; None when there is nothing to look
    for. Each condition is one indexed expression (OR of index scans)."""
    condition = Q()
    rows = kind.model._default_manager.all()
    email = (email or "").strip()
    if email:
        rows = rows.alias(_email=Upper("email_id"))
        condition |= Q(_email=email.upper())
    keys = {k for k in (phone_key(p) for p in phones) if k}
    if keys:
        rows = rows.alias(_phone=PhoneKey("phone"), _mobile=PhoneKey("mobile_no"))
        condition |= Q(_phone__in=keys) | Q(_mobile__in=keys)
    if not condition:
        return None
    rows = rows.filter(condition)
    if exclude:
        rows = rows.exclude(pk=exclude)
    return rows


def same_email_or_phone(
    doctype: str, data: Mapping[str, Any], *, exclude: str | None = None
) -> list[dict[str, str]]:
    """The existing documents of the kind with the address or a phone number of ``data``."""
    kind = KINDS[doctype]
    found = _matching(
        kind,
        email=data.get("email_id") or "",
        phones=[data.get(f) or "" for f in PHONE_FIELDS],
        exclude=exclude,
    )
    if found is None:
        return []
    return [candidate(kind, d) for d in found.order_by("creation", "pk")[:CANDIDATES]]


def similar_names(doctype: str, name: str, *, exclude: Iterable[str] = ()) -> list[dict[str, str]]:
    """The existing documents of the kind with a name like ``name`` (a page's warning)."""
    kind = KINDS[doctype]
    name = (name or "").strip()
    if not kind.name_field or len(name) < 3:
        return []
    rows = kind.model._default_manager.exclude(pk__in=list(exclude))
    column = connection.ops.quote_name(kind.name_field)
    if connection.vendor == "postgresql":
        # pg_trgm's % (similarity above pg_trgm.similarity_threshold, 0.3): the GIN index
        rows = rows.filter(RawSQL(f"{column} %% %s", [name], output_field=BooleanField()))
        rows = rows.annotate(
            _similarity=RawSQL(f"similarity({column}, %s)", [name], output_field=FloatField())
        ).order_by("-_similarity", "pk")
    else:  # SQLite: the same beginning (the first word, or the first five characters)
        first = name.split()[0]
        prefix = first if len(first) >= 3 else name[:5]
        rows = rows.filter(**{f"{kind.name_field}__istartswith": prefix}).order_by("pk")
    return [candidate(kind, d) for d in rows[:SIMILAR]]


def _describe(candidates: list[dict[str, str]]) -> str:
    return ", ".join(f"{c['name']} ({c['title']})" for c in candidates)


def check_lead_email(
    email: str | None,
    *,
    exclude: str | None = None,
    found: list[dict[str, str]] | None = None,
    settings: CRMSettings | None = None,
) -> None:
    """ERPNext's Lead.check_email_id_is_unique: refused, whatever the caller says, while CRM
    Settings ``allow_lead_duplication_based_on_emails`` is off. ``found``: the candidates a
    bulk write read ahead (``LikelyDuplicates``) instead of a query."""
    email = (email or "").strip()
    settings = settings or CRMSettings.current()
    if not email or settings.allow_lead_duplication_based_on_emails:
        return
    if found is not None:
        same = [c for c in found if c["email_id"].strip().upper() == email.upper()]
    else:
        rows = Lead.objects.alias(_email=Upper("email_id")).filter(_email=email.upper())
        if exclude:
            rows = rows.exclude(pk=exclude)
        leads = list(rows.order_by("creation", "pk")[:CANDIDATES])
        same = [candidate(KINDS["Lead"], lead) for lead in leads]
    if same:
        names = ", ".join(c["name"] for c in same)
        message = f"Email Address must be unique, it is already used in {names}."
        raise DuplicateError(message, fields={"email_id": [message]}, candidates=same)


class LikelyDuplicates:
    """The documents of a kind with the addresses or phone numbers of many new ones (a bulk
    write's batch), read in one query, and those the batch adds: ``found`` answers for one new
    document what ``same_email_or_phone`` would (the same candidates, in the same order)."""

    def __init__(self, doctype: str, points: Iterable[Mapping[str, Any]]) -> None:
        self.kind = KINDS[doctype]
        self.by_email: dict[str, list[Any]] = {}
        self.by_phone: dict[str, list[Any]] = {}
        self.order: dict[int, int] = {}  # documents in the order read or added (by name)
        emails: set[str] = set()
        keys: set[str] = set()
        for data in points:
            email = (data.get("email_id") or "").strip().upper()
            if email:
                emails.add(email)
            keys.update(k for k in (phone_key(data.get(f)) for f in PHONE_FIELDS) if k)
        condition = Q()
        rows = self.kind.model._default_manager.all()
        if emails:
            rows = rows.alias(_email=Upper("email_id"))
            condition |= Q(_email__in=emails)
        if keys:
            rows = rows.alias(_phone=PhoneKey("phone"), _mobile=PhoneKey("mobile_no"))
            condition |= Q(_phone__in=keys) | Q(_mobile__in=keys)
        if condition:
            for document in rows.filter(condition).order_by("creation", "pk"):
                self.add(document)

    def add(self, document: Any) -> None:
        self.order[id(document)] = len(self.order)
        email = (document.email_id or "").strip().upper()
        if email:
            self.by_email.setdefault(email, []).append(document)
        for key in {phone_key(getattr(document, f)) for f in PHONE_FIELDS} - {""}:
            self.by_phone.setdefault(key, []).append(document)

    def found(self, data: Mapping[str, Any]) -> list[dict[str, str]]:
        return self.candidates(self.documents(data))

    def candidates(self, documents: list[Any]) -> list[dict[str, str]]:
        """The candidates of documents found (their names as they are now: a document the
        batch adds is named after the checks)."""
        return [candidate(self.kind, d) for d in documents]

    def documents(self, data: Mapping[str, Any]) -> list[Any]:
        matches: dict[int, Any] = {}
        email = (data.get("email_id") or "").strip().upper()
        for document in self.by_email.get(email, []) if email else []:
            matches[id(document)] = document
        for key in {phone_key(data.get(f)) for f in PHONE_FIELDS} - {""}:
            for document in self.by_phone.get(key, []):
                matches[id(document)] = document
        ordered = sorted(matches.values(), key=lambda d: (d.creation, self.order[id(d)]))
        return ordered[:CANDIDATES]


def check_new_lead(
    data: Mapping[str, Any],
    *,
    found: list[dict[str, str]] | None = None,
    settings: CRMSettings | None = None,
) -> None:
    """Both rules for a new lead whose duplicates are refused, in one query: ERPNext's on its
    address first (while the setting is off), then the same address or phone number.
    ``found``: the candidates a bulk write read ahead (``LikelyDuplicates``)."""
    if found is None:
        found = same_email_or_phone("Lead", data)
    email = (data.get("email_id") or "").strip().upper()
    same = [c for c in found if email and c["email_id"].strip().upper() == email]
    if same and not (settings or CRMSettings.current()).allow_lead_duplication_based_on_emails:
        names = ", ".join(c["name"] for c in same)
        message = f"Email Address must be unique, it is already used in {names}."
        raise DuplicateError(message, fields={"email_id": [message]}, candidates=same)
    if found:
        _refuse(found, "Lead", data)


def check_duplicates(
    doctype: str, data: Mapping[str, Any], *, found: list[dict[str, str]] | None = None
) -> None:
    """Refuse (409 ``duplicate``) a new document of the kind with the address or a phone
    number of an existing one; the fields named are those that matched. ``found``: the
    candidates a bulk write read ahead (``LikelyDuplicates``)."""
    if found is None:
        found = same_email_or_phone(doctype, data)
    if found:
        _refuse(found, doctype, data)


def _refuse(found: list[dict[str, str]], doctype: str, data: Mapping[str, Any]) -> None:
    email = (data.get("email_id") or "").strip().upper()
    fields: dict[str, list[str]] = {}
    for field in ("email_id", *PHONE_FIELDS):
        value = data.get(field) or ""
        if field == "email_id":
            matched = [c for c in found if email and c["email_id"].strip().upper() == email]
        else:
            key = phone_key(value)
            matched = [c for c in found if key and key in {phone_key(c[f]) for f in PHONE_FIELDS}]
        if matched:
            fields[field] = [f"Also on {_describe(matched)}."]
    kind = doctype.lower()
    raise DuplicateError(
        f"A {kind} with this email address or phone number exists already: "
        f"{_describe(found)}. Send allow_duplicate to create it anyway.",
        fields=fields,
        candidates=found,
    )
