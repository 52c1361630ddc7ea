"""Lookups on the masters that several apps need (exchange rates, item details), and the
one generic write path of every master (create, update, delete)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import ForeignObjectRel, ProtectedError, RestrictedError
from django.utils import timezone

from opportune.core.bulk import insert_instances, write_history
from opportune.core.deleted import keep_deleted
from opportune.core.errors import (
    ConflictError,
    DomainError,
    FieldErrors,
    NotFoundError,
    ValidationError,
)
from opportune.core.fields import (
    Link,
    apply_fields,
    check_known_fields,
    read_links_ahead,
    reading_ahead,
    validate_model_fields,
)
from opportune.core.statements import Placeholders, fetch_master
from opportune.masters.models import (
    UOM,
    Currency,
    CurrencyExchange,
    CustomerGroup,
    Industry,
    Item,
    ItemGroup,
    Territory,
)

if TYPE_CHECKING:
    from opportune.core.users import User

M = TypeVar("M", bound=models.Model)
RATE_PLACES = Decimal("0.000000001")
# The header fields every transaction (core.items.TransactionDraft) writes.
TRANSACTION_SPEC: dict[str, Link | None] = {
    "currency": Link(Currency, "Currency", {"enabled": True}),
    "transaction_date": None,
    "terms": None,
}


def get_exchange_rate(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    """Value of one ``from_currency`` in ``to_currency`` on a day: the latest rate on or before
    that day, or the inverse of the reverse rate; ``None`` when neither is recorded."""
    if from_currency == to_currency:
        return Decimal(1)
    direct = _latest_rate(from_currency, to_currency, on_date)
    if direct is not None:
        return direct
    reverse = _latest_rate(to_currency, from_currency, on_date)
    if reverse is not None:
        return (Decimal(1) / reverse).quantize(RATE_PLACES)
    return None


def _latest_rate(from_currency: str, to_currency: str, on_date: date) -> Decimal | None:
    def build(v: Placeholders) -> models.QuerySet[Any]:
        rows = CurrencyExchange.objects.filter(
            from_currency=v.from_currency, to_currency=v.to_currency, date__lte=v.on_date
        )
        return rows.order_by("-date").values_list("exchange_rate", flat=True)[:1]

    values: dict[str, Any] = {"from_currency": from_currency, "to_currency": to_currency}
    values["on_date"] = on_date
    currencies = isinstance(from_currency, str) and isinstance(to_currency, str)
    if type(on_date) is not date or not currencies:  # a datetime: the ORM converts it
        return next(iter(build(Placeholders(values))), None)
    # a kept statement whose rows the process keeps (core.master_cache): every priced write
    found = fetch_master("masters.latest_rate", build, **values)
    return found[0] if found else None


def items_by_code(codes: set[str]) -> dict[str, Item]:
    """The items with these codes, in one query."""
    return {item.name: item for item in Item.objects.filter(name__in=codes)}


KEPT_NAMES = 20  # at most so many names in a kept statement (a document's items)


def _kept_or_run(key: str, build: Callable[[Placeholders], Any], **values: Any) -> list[Any]:
    """``build``'s rows by a kept statement when every value is a name (a set of names: up to
    ``KEPT_NAMES``, sorted), its rows kept in the process (core.master_cache), else through the
    ORM."""
    kept: dict[str, Any] = {}
    for name, value in values.items():
        if (
            isinstance(value, set)
            and len(value) <= KEPT_NAMES
            and all(isinstance(each, str) for each in value)
        ):
            kept[name] = sorted(value)
        elif isinstance(value, str):
            kept[name] = value
        else:
            return list(build(Placeholders(values)))
    return fetch_master(key, build, **kept)


class MastersCatalog:
    """What core's item engine (``core.items``) reads of the masters, registered at start-up."""

    # a document's write reads these: kept statements (core/statements.py), but for a bulk
    # write's batch (hundreds of names: a statement of its own each time, kept for nothing)
    def items_by_code(self, codes: set[str]) -> dict[str, Item]:
        """With their stock unit (one query for both: core.items reads it from the item)."""
        if not codes:
            return {}

        def build(v: Placeholders) -> models.QuerySet[Item]:
            return Item.objects.filter(name__in=v.codes).select_related("stock_uom")

        return {i.name: i for i in _kept_or_run("masters.items_by_code", build, codes=codes)}

    def uoms_by_name(self, names: set[str]) -> dict[str, UOM]:
        if not names:
            return {}

        def build(v: Placeholders) -> models.QuerySet[UOM]:
            return UOM.objects.filter(pk__in=v.names)

        return {u.pk: u for u in _kept_or_run("masters.uoms_by_name", build, names=names)}

    def currency_precision(self, currency: str) -> int | None:
        def build(v: Placeholders) -> models.QuerySet[Any]:
            rows = Currency.objects.filter(pk=v.currency).order_by()
            return rows.values_list("precision", flat=True)[:1]

        found = _kept_or_run("masters.currency_precision", build, currency=currency)
        return found[0] if found else None

    def exchange_rate(self, from_currency: str, to_currency: str, on: date) -> Decimal | None:
        return get_exchange_rate(from_currency, to_currency, on)

    def currency_codes(self) -> list[str]:
        """The enabled currencies' codes, for a form's choices."""
        return list(Currency.objects.filter(enabled=True).values_list("pk", flat=True))


# --- generic master writes ---------------------------------------------------------------------
# Masters (currencies, UOMs, items, groups, and the CRM's types, stages, reasons...) share one
# create / update / delete path. They carry no ``version``: a PATCH is last-writer-wins on the
# fields it sends, taken under a row lock. Masters are addressed by their name, which is their
# primary key and cannot be changed (a rename would have to rewrite every referencing row).
@dataclass(frozen=True)
class MasterSpec(Generic[M]):
    """How to write one kind of master: its model, its label in messages, its writable
    fields (``None`` for plain values, ``Link`` for names of other records), an optional
    ``check(instance, errors)`` for rules across fields, and the defaults of a new record."""

    model: type[M]
    label: str
    fields: Mapping[str, Link | None] = field(default_factory=dict)
    check: Callable[[M, FieldErrors], None] | None = None
    named: bool = True  # False: addressed by a numeric id (currency exchanges)
    unique_together: tuple[str, ...] = ()  # other uniqueness, reported as a conflict
    defaults: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    # ERPNext's name for the key (``item_code``, ``stage_name``): accepted on create instead
    # of ``name`` (or beside it, with the same value) and answered beside ``name``.
    key: str | None = None


def create_master(spec: MasterSpec[M], *, data: Mapping[str, Any], by: User) -> M:
    """A new master record; 422 naming each bad field, 409 when the name is taken. The name
    comes as ``name`` or as the ERPNext key field (``spec.key``), or as both if they agree;
    a missing or bad name is refused before the other fields are judged."""
    instance, name_field = _new_master(spec, data)
    with transaction.atomic():
        _refuse_duplicate(spec, instance, name_field=name_field)
        instance._history_user = by  # type: ignore[attr-defined]  # not only the request's
        _save(spec, instance)
    return instance


def _new_master(spec: MasterSpec[M], data: Mapping[str, Any]) -> tuple[M, str]:
    """A new record of ``spec`` from plain input, every check of ``create_master`` made but
    the one of its name against the stored records: (the record, the field its name came as).
    """
    check_known_fields(data, _creatable(spec))
    values = dict(data)
    errors = FieldErrors()
    name_field = "name"
    if spec.named:
        name_field, raw_name = name_or_key(values, key=spec.key)
        if spec.key:
            values.pop(spec.key, None)  # stored as the name
        values["name"] = _check_name(spec, raw_name, errors, field_name=name_field)
        errors.raise_if_any()  # without its name nothing else can be judged (defaults use it)
    values = {**(spec.defaults(values) if spec.defaults else {}), **values}
    instance = spec.model()
    apply_fields(instance, values, _with_name(spec), errors)
    _validate(spec, instance, errors)
    return instance, name_field


def create_masters(
    spec: MasterSpec[M], rows: Sequence[Mapping[str, Any]], *, by: User, write: bool = True
) -> list[M | DomainError]:
    """``create_master``'s bulk twin for an import's batch (decision 0030): each row refused or
    made as ``create_master`` would (the same checks, through ``_new_master``, with the links
    read ahead: one query per linked model; the names taken: one query for the batch's, and a
    name made earlier in the batch is taken too, as it would be one by one), then the records in
    one INSERT statement and one ``+`` history record each, by ``by``. Without ``write`` nothing
    is written (a dry run: each row checked against the database alone). Answers, per row, the
    record or why it was refused."""
    if not spec.named or spec.unique_together:
        raise ValueError(f"{spec.label}: only named masters without other uniqueness.")
    outcome: list[M | DomainError] = []
    made: list[M] = []
    with reading_ahead() as cache:
        read_links_ahead(cache, spec.fields, rows)
        wanted = set()
        for data in rows:
            try:
                wanted.add(_stripped(name_or_key(data, key=spec.key)[1]))
            except DomainError:
                continue
        wanted = {n for n in wanted if isinstance(n, str) and n}
        taken = set(spec.model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
        for data in rows:
            try:
                instance, name_field = _new_master(spec, data)
                if instance.pk in taken:
                    message = f"{spec.label} '{instance.pk}' already exists."
                    raise ConflictError(message, fields={name_field: [message]})
            except DomainError as exc:
                outcome.append(exc)
                continue
            if write:  # one by one, the next row would find it stored
                taken.add(instance.pk)
                made.append(instance)
            outcome.append(instance)
    if made:
        now = timezone.now()
        insert_instances(made)
        for instance in made:
            instance._state.adding = False
        write_history(spec.model, made, update=False, by=by, when=now)
    return outcome


def name_or_key(data: Mapping[str, Any], *, key: str | None) -> tuple[str, Any]:
    """The name a create sends, as ``name`` or as ERPNext's ``key`` field (``item_code``): both
    may come if they agree, else a 422 naming ``key``. Answers the field it came from and the
    value as sent (``("name", None)`` when neither is)."""
    name = data.get("name")
    keyed = data.get(key) if key else None
    if name is not None and keyed is not None and _stripped(name) != _stripped(keyed):
        message = (
            f"{key} and name differ ({_stripped(keyed)!r}, {_stripped(name)!r}): "
            "they are the same key, send one of them."
        )
        raise ValidationError.for_field(str(key), message)
    if name is None and keyed is not None:
        return str(key), keyed
    return "name", name


def update_master(spec: MasterSpec[M], instance: M, *, data: Mapping[str, Any], by: User) -> M:
    """Change the fields sent (partial update) under a row lock; the name stays."""
    check_known_fields(data, spec.fields)
    with transaction.atomic():
        locked = spec.model._default_manager.select_for_update().filter(pk=instance.pk).first()
        if locked is None:
            raise NotFoundError(f"{spec.label} {instance.pk} not found.")
        errors = FieldErrors()
        apply_fields(locked, data, spec.fields, errors)
        _validate(spec, locked, errors)
        _refuse_duplicate(spec, locked)
        locked._history_user = by  # type: ignore[attr-defined]  # not only the request's
        _save(spec, locked)
    return locked


def delete_master(spec: MasterSpec[M], instance: M, *, by: User) -> None:
    """Delete a master nothing refers to; one still in use answers 409 saying where."""
    with transaction.atomic():
        used_by = master_references(instance)
        if used_by:
            raise ConflictError(_in_use_message(spec, instance, used_by))
        keep_deleted(instance, by=by)
        try:
            instance._history_user = by  # type: ignore[attr-defined]
            instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            raise ConflictError(
                f"{spec.label} '{instance.pk}' is in use and cannot be deleted."
            ) from exc


def master_references(instance: models.Model) -> dict[str, int]:
    """How many records of each kind refer to ``instance`` (history rows do not count)."""
    used: dict[str, int] = {}
    for rel in instance._meta.get_fields(include_hidden=True):
        if not isinstance(rel, ForeignObjectRel):
            continue
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue  # not a reverse relation
        related = rel.related_model
        assert not isinstance(related, str)  # "self" is resolved once the apps are loaded
        if rel.on_delete is models.DO_NOTHING or related._meta.auto_created:
            continue  # simple-history's copies of the links; many-to-many rows (counted below)
        count = related._default_manager.filter(**{rel.field.name: instance}).count()
        if count:
            label = str(related._meta.verbose_name_plural)
            used[label] = used.get(label, 0) + count
    return used


def _in_use_message(spec: MasterSpec[Any], instance: models.Model, used_by: dict[str, int]) -> str:
    where = ", ".join(f"{count} {label}" for label, count in sorted(used_by.items()))
    return (
        f"{spec.label} '{instance.pk}' is still used ({where}) and cannot be deleted; "
        "change those records first, or disable it instead where it can be disabled."
    )


def _creatable(spec: MasterSpec[Any]) -> set[str]:
    names = {"name", spec.key} if spec.named else set()
    return set(spec.fields) | {n for n in names if n}


def _with_name(spec: MasterSpec[Any]) -> dict[str, Link | None]:
    return {"name": None, **spec.fields} if spec.named else dict(spec.fields)


def _stripped(raw: Any) -> Any:
    return raw.strip() if isinstance(raw, str) else raw


def _check_name(
    spec: MasterSpec[Any], raw: Any, errors: FieldErrors, *, field_name: str = "name"
) -> str | None:
    """The name stripped of outer spaces, or None after recording why it cannot be used."""
    name = _stripped(raw)
    name_field = spec.model._meta.get_field("name")
    assert isinstance(name_field, models.Field)
    max_length = name_field.max_length
    if name is None:
        also = f" (name or {spec.key})" if spec.key else ""
        errors.add(field_name, f"This field is required{also}.")
        return None
    if not isinstance(name, str) or not name:
        errors.add(field_name, "This field is required." if not name else "Must be text.")
        return None
    if max_length is not None and len(name) > max_length:
        errors.add(field_name, f"At most {max_length} characters.")
        return None
    return name


def _validate(spec: MasterSpec[Any], instance: models.Model, errors: FieldErrors) -> None:
    validate_model_fields(instance, errors)
    for name, kind in spec.fields.items():
        model_field = instance._meta.get_field(name)
        assert isinstance(model_field, models.Field)  # a spec names the model's own fields
        if (
            isinstance(kind, Link)
            and not model_field.null
            and name not in errors.fields
            and getattr(instance, model_field.attname) is None
        ):
            errors.add(name, "This field is required.")
    if spec.check is not None:
        spec.check(instance, errors)
    errors.raise_if_any()


def _refuse_duplicate(
    spec: MasterSpec[Any], instance: models.Model, *, name_field: str = "name"
) -> None:
    if (
        spec.named
        and instance._state.adding
        and spec.model._default_manager.filter(pk=instance.pk).exists()
    ):
        message = f"{spec.label} '{instance.pk}' already exists."
        raise ConflictError(message, fields={name_field: [message]})
    if spec.unique_together:
        values = {
            f"{f}_id" if _is_link(spec, f) else f: getattr(instance, _attr(spec, f))
            for f in spec.unique_together
        }
        if spec.model._default_manager.filter(**values).exclude(pk=instance.pk).exists():
            message = f"A {spec.label} with the same {', '.join(spec.unique_together)} exists."
            raise ConflictError(message, fields={f: [message] for f in spec.unique_together})


def _is_link(spec: MasterSpec[Any], name: str) -> bool:
    return isinstance(spec.fields.get(name), Link)


def _attr(spec: MasterSpec[Any], name: str) -> str:
    return f"{name}_id" if _is_link(spec, name) else name


def _save(spec: MasterSpec[Any], instance: models.Model) -> None:
    """Insert or update; a concurrent insert of the same name still answers 409."""
    try:
        with transaction.atomic():
            instance.save(force_insert=instance._state.adding)
    except IntegrityError as exc:
        raise ConflictError(
            f"{spec.label} '{instance.pk}' could not be saved: it conflicts with "
            "a record written at the same time. Reload and try again."
        ) from exc


# --- the masters of this app ------------------------------------------------------------------
def _check_currency(currency: Currency, errors: FieldErrors) -> None:
    if not CURRENCY_CODE.fullmatch(currency.name or ""):
        errors.add("name", "A currency code is three capital letters (ISO 4217), e.g. EUR.")
    if currency.precision is not None and currency.precision > MAX_PRECISION:
        errors.add("precision", f"At most {MAX_PRECISION} decimals.")


def _check_exchange(exchange: CurrencyExchange, errors: FieldErrors) -> None:
    if exchange.from_currency_id and exchange.from_currency_id == exchange.to_currency_id:
        errors.add("to_currency", "Choose a currency other than the one converted from.")
    if exchange.exchange_rate is not None and exchange.exchange_rate <= 0:
        errors.add("exchange_rate", "The rate must be greater than zero.")


def _check_item(item: Item, errors: FieldErrors) -> None:
    # a rate that is not a number was named by the field's own check
    if isinstance(item.standard_rate, Decimal | int) and item.standard_rate < 0:
        errors.add("standard_rate", "The rate cannot be negative.")


def _check_territory(territory: Territory, errors: FieldErrors) -> None:
    """A territory cannot sit under itself, directly or through its parents."""
    parent, seen = territory.parent_territory_id, set()
    while parent is not None and parent not in seen:
        if parent == territory.name:
            errors.add("parent_territory", "A territory cannot be placed under itself.")
            return
        seen.add(parent)
        parent = (
            Territory.objects.filter(pk=parent)
            .values_list("parent_territory_id", flat=True)
            .first()
        )


CURRENCY_CODE = re.compile(r"[A-Z]{3}")
MAX_PRECISION = 4
CURRENCY = MasterSpec(
    Currency,
    "Currency",
    {"currency_name": None, "symbol": None, "precision": None, "enabled": None},
    check=_check_currency,
)
CURRENCY_EXCHANGE = MasterSpec(
    CurrencyExchange,
    "Currency Exchange",
    {
        "from_currency": Link(Currency, "Currency"),
        "to_currency": Link(Currency, "Currency"),
        "date": None,
        "exchange_rate": None,
    },
    check=_check_exchange,
    named=False,
    unique_together=("from_currency", "to_currency", "date"),
)
UOM_SPEC = MasterSpec(UOM, "UOM", {"must_be_whole_number": None, "enabled": None}, key="uom_name")
ITEM = MasterSpec(
    Item,
    "Item",
    {
        "item_name": None,
        "description": None,
        "item_group": Link(ItemGroup, "Item Group"),
        "brand": None,
        "stock_uom": Link(UOM, "UOM", {"enabled": True}),
        "standard_rate": None,
        "is_sales_item": None,
        "is_purchase_item": None,
        "disabled": None,
    },
    check=_check_item,
    # ERPNext: the item name defaults to the item code.
    defaults=lambda data: {"item_name": data.get("item_name") or data.get("name") or ""},
    key="item_code",
)
TERRITORY = MasterSpec(
    Territory,
    "Territory",
    {"parent_territory": Link(Territory, "Territory")},
    check=_check_territory,
    key="territory_name",
)
CUSTOMER_GROUP = MasterSpec(CustomerGroup, "Customer Group", key="customer_group_name")
INDUSTRY = MasterSpec(Industry, "Industry", key="industry")  # ERPNext's Industry Type
ITEM_GROUP = MasterSpec(ItemGroup, "Item Group", key="item_group_name")
