"""Writing plain input onto a model instance, with every problem named by its field.

Services receive plain values (names for links, usernames for users, Decimals, dates); this
module turns them into model attributes, checks that linked records exist, and runs Django's
own field validation (lengths, e-mail format, choices, decimal digits), collecting every
message in a ``FieldErrors`` so the caller raises once and writes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models.expressions import DatabaseDefault

from opportune.core import master_cache
from opportune.core.errors import FieldErrors, ValidationError
from opportune.core.statements import Placeholders, fetch, fetch_master

if TYPE_CHECKING:
    from opportune.core.users import User


@dataclass(frozen=True)
class Link:
    """A field holding the name of a record of ``model`` (``label`` used in messages)."""

    model: type[models.Model]
    label: str
    active_filter: Mapping[str, Any] | None = None  # e.g. {"disabled": False}


class UserLink:
    """A field holding a username of an active user."""


USER = UserLink()


def reject_nul(value: Any) -> Any:
    """A pydantic before-validator: text holding NUL characters is bad input (PostgreSQL cannot
    store or compare it, so it would otherwise fail deep in the database as a 500)."""
    values = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise ValueError("Text cannot contain NUL characters.")
    return value


def check_known_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(
            f"Unknown field: {', '.join(unknown)}.",
            fields={f: ["This field is not known or cannot be written."] for f in unknown},
        )


# --- reading ahead: a bulk write checks the links of many rows with one query per model ---------
@dataclass
class ReadAhead:
    """Records read ahead for a batch of rows: per model, the names asked for and the records
    found (a name asked for and not found does not exist). The checks below answer from it
    instead of a query per row; a name not read ahead is queried as usual."""

    records: dict[type[models.Model], dict[Any, Any]] = dataclasses.field(default_factory=dict)
    asked: dict[type[models.Model], set[Any]] = dataclasses.field(default_factory=dict)
    # a field's check of a value, once per batch (validate_model_fields): (field, type, value)
    # -> the cleaned value, or the error list Django gave
    checked: dict[tuple[Any, type, Any], tuple[bool, Any]] = dataclasses.field(default_factory=dict)
    # other answers a rule looks up, read ahead for the batch: lookups[kind][key] -> answer
    # (``looked_up``)
    lookups: dict[str, dict[Any, Any]] = dataclasses.field(default_factory=dict)

    def read(self, model: type[models.Model], names: Iterable[Any], **lookup: Any) -> None:
        """Read the records of ``model`` named ``names`` (one query; ``lookup`` names another
        unique field than the primary key, e.g. ``username``)."""
        key = next(iter(lookup), "pk")
        wanted = {n for n in names if n not in (None, "")} - self.asked.get(model, set())
        if not wanted:
            return
        found = self.records.setdefault(model, {})
        for start in range(0, len(wanted), 5000):
            part = sorted(wanted, key=str)[start : start + 5000]
            for record in model._default_manager.filter(**{f"{key}__in": part}):
                found[getattr(record, key)] = record
        self.asked.setdefault(model, set()).update(wanted)

    def remember(self, records: Iterable[models.Model]) -> None:
        """Records written by the batch itself (a contact's lead made in the same batch)."""
        for record in records:
            model = type(record)
            self.records.setdefault(model, {})[record.pk] = record
            self.asked.setdefault(model, set()).add(record.pk)

    def knows(self, model: type[models.Model], name: Any) -> bool:
        return name in self.asked.get(model, ())

    def get(self, model: type[models.Model], name: Any) -> Any:
        return self.records.get(model, {}).get(name)


_read_ahead: ContextVar[ReadAhead | None] = ContextVar("read_ahead", default=None)


@contextmanager
def reading_ahead(cache: ReadAhead | None = None) -> Iterator[ReadAhead]:
    """The checks inside the block answer from ``cache`` (a new one unless given)."""
    cache = cache or ReadAhead()
    token = _read_ahead.set(cache)
    try:
        yield cache
    finally:
        _read_ahead.reset(token)


def read_links_ahead(
    cache: ReadAhead, spec: Mapping[str, Link | UserLink | None], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Read the records every link of ``spec`` in ``rows`` names: one query per model."""
    names: dict[type[models.Model], set[Any]] = {}
    users: set[Any] = set()
    for name, kind in spec.items():
        if isinstance(kind, Link):
            names.setdefault(kind.model, set()).update(r.get(name) for r in rows)
        elif isinstance(kind, UserLink):
            users.update(r.get(name) for r in rows)
    for model, values in names.items():
        cache.read(model, values)
    if users - {None, ""}:
        cache.read(get_user_model(), users, username=True)


def looked_up(kind: str, key: Any, query: Callable[[], Any]) -> Any:
    """A rule's answer for ``key`` (e.g. a party's first contact): read ahead for the batch
    (``ReadAhead.lookups[kind]``) when a bulk write read it, else ``query()``."""
    cache = _read_ahead.get()
    if cache is not None:
        answers = cache.lookups.get(kind)
        if answers is not None and key in answers:
            return answers[key]
    return query()


def _fetch_of(model: type[models.Model]) -> Callable[..., list[Any]]:
    """``fetch``, or ``fetch_master`` when the process keeps the rows of ``model``'s table."""
    return fetch_master if master_cache.is_kept(model._meta.db_table) else fetch


def named_row(model: type[models.Model], name: Any, fields: tuple[str, ...] = ()) -> Any:
    """The record of ``model`` whose primary key is ``name`` (``fields``: those of its columns
    as a dict), or None; one query, by a kept statement (core/statements.py) when the key is
    text, as a master's or a document's name is (a write checks several such links); a
    master's rows are kept in the process (core.master_cache)."""

    def build(v: Placeholders) -> models.QuerySet[Any]:
        rows = model._default_manager.filter(pk=v.name).order_by()  # one row at most
        return (rows.values(*fields) if fields else rows)[:1]

    if isinstance(name, str) and isinstance(model._meta.pk, models.CharField):
        found = _fetch_of(model)(("fields.named_row", model, fields), build, name=name)
    else:  # a number, or a value of another type the key's field converts
        found = list(build(Placeholders({"name": name})))
    return found[0] if found else None


def find_record(model: type[models.Model], name: Any) -> Any:
    """The record of ``model`` named ``name`` (its primary key), or None: read ahead when a
    bulk write read it, else one query."""
    cache = _read_ahead.get()
    if cache is not None and cache.knows(model, name):
        return cache.get(model, name)
    return named_row(model, name)


def record_exists(model: type[models.Model], name: Any) -> bool:
    cache = _read_ahead.get()
    if cache is not None and cache.knows(model, name):
        return cache.get(model, name) is not None
    return named_row(model, name, ("pk",)) is not None


def resolve_link(field: str, value: Any, link: Link, errors: FieldErrors) -> Any:
    """The primary key for a linked name, or None after recording an error."""
    if value in (None, ""):
        return None
    cache = _read_ahead.get()
    if cache is not None and cache.knows(link.model, value):
        record = cache.get(link.model, value)
        if record is None:
            errors.add(field, f"{link.label} '{value}' does not exist.")
            return None
        if link.active_filter and any(
            getattr(record, key) != wanted for key, wanted in link.active_filter.items()
        ):
            errors.add(field, f"{link.label} '{value}' is disabled.")
            return None
        return value
    # one query tells both "missing" and "disabled"
    found = named_row(link.model, value, tuple(link.active_filter or ("pk",)))
    if found is None:
        errors.add(field, f"{link.label} '{value}' does not exist.")
        return None
    if link.active_filter and any(
        found[key] != wanted for key, wanted in link.active_filter.items()
    ):
        errors.add(field, f"{link.label} '{value}' is disabled.")
        return None
    return value


def resolve_user(field: str, username: Any, errors: FieldErrors) -> User | None:
    if username in (None, ""):
        return None
    model = get_user_model()
    cache = _read_ahead.get()
    user: User | None
    if cache is not None and cache.knows(model, username):
        user = cache.get(model, username)
    elif isinstance(username, str):  # a kept statement (core/statements.py)
        # the users' rows are kept (core.master_cache: the rules' users; a sign-in's
        # last_login, the one column they may lag on, is not read)
        found = _fetch_of(model)(
            ("fields.user", model),
            lambda v: model._default_manager.filter(username=v.username).order_by()[:1],
            username=username,
        )
        user = found[0] if found else None
    else:
        user = model._default_manager.filter(username=username).first()
    if user is None:
        errors.add(field, f"User '{username}' does not exist.")
        return None
    if not user.is_active:
        errors.add(field, f"User '{username}' is not active.")
        return None
    return user


def apply_fields(
    instance: models.Model,
    data: Mapping[str, Any],
    spec: Mapping[str, Link | UserLink | None],
    errors: FieldErrors,
) -> set[str]:
    """Set every field of ``spec`` present in ``data``; return the names that changed value."""
    changed: set[str] = set()
    for field, kind in spec.items():
        if field not in data:
            continue
        value = data[field]
        if isinstance(kind, Link):
            attr, new = f"{field}_id", resolve_link(field, value, kind, errors)
        elif isinstance(kind, UserLink):
            user = resolve_user(field, value, errors)
            attr, new = f"{field}_id", (user.pk if user else None)
        else:
            attr, new = field, ("" if value is None and _is_text(instance, field) else value)
        model_field = instance._meta.get_field(field)
        assert isinstance(model_field, models.Field)  # a spec names the model's own fields
        if new is None and not model_field.null and value in (None, ""):
            errors.add(field, "This field cannot be empty.")
            continue
        if getattr(instance, attr) != new:
            changed.add(field)
        setattr(instance, attr, new)
    return changed


def _is_text(instance: models.Model, field: str) -> bool:
    f = instance._meta.get_field(field)
    return isinstance(f, models.CharField | models.TextField) and not f.null


def parse_decimal(field: str, value: Any, errors: FieldErrors) -> Decimal | None:
    """A finite Decimal from a number or its text (never via float), else an error on field."""
    if isinstance(value, bool):
        errors.add(field, f"'{value}' is not a number.")
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.add(field, f"'{value}' is not a number.")
        return None
    if not number.is_finite():
        errors.add(field, f"'{value}' is not a number.")
        return None
    return number


def validate_model_fields(
    instance: models.Model, errors: FieldErrors, *, exclude: Iterable[str] = ()
) -> None:
    """Django's field checks (length, format, choices, digits, required) into ``errors``."""
    skip = set(exclude)
    skip.update(
        f.name
        for f in instance._meta.get_fields()
        if f.is_relation or getattr(f, "primary_key", False)
    )
    cache = _read_ahead.get()
    try:
        if cache is None:
            instance.clean_fields(exclude=skip)
        else:
            _clean_fields_once(instance, skip, cache.checked)
    except DjangoValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                errors.add(field, message)


_NOT_HASHABLE = object()


def _clean_fields_once(
    instance: models.Model, exclude: set[str], checked: dict[tuple[Any, type, Any], Any]
) -> None:
    """Django's ``Model.clean_fields`` (the same steps and messages), each field's check of a
    value made once per batch: a field's ``clean`` depends on the value alone (relations, whose
    checks read the database, are excluded above), and a batch's rows share most values."""
    found: dict[str, Any] = {}
    for f in instance._meta.fields:
        if f.name in exclude or f.generated:
            continue
        raw = getattr(instance, f.attname)
        if f.blank and raw in f.empty_values:
            continue
        if isinstance(raw, DatabaseDefault):
            continue
        try:
            key: Any = (f, type(raw), raw)
            known = checked.get(key)
        except TypeError:  # a value that cannot be a key (a list for a JSON field)
            key, known = _NOT_HASHABLE, None
        if known is None:
            try:
                known = (True, f.clean(raw, instance))
            except DjangoValidationError as e:
                known = (False, e.error_list)
            if key is not _NOT_HASHABLE:
                checked[key] = known
        ok, value = known
        if ok:
            setattr(instance, f.attname, value)
        else:
            found[f.name] = value
    if found:
        raise DjangoValidationError(found)
