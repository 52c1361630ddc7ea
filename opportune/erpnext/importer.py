"""The migration engine (decision 0031): reads each doctype page by page from a source, maps the
rows (``erpnext.doctypes``), checks them with the models' own field validation, and writes a
page at a time in one transaction: the records (insert or update by name), their child rows,
their history (door "import"), their search text, which records came from ERPNext and the
checkpoint. A run that stops (the site unreachable) goes on from that checkpoint next time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError

from opportune.core.audit import IMPORT
from opportune.core.bulk import bump_series, keep_search_entries, write_history
from opportune.core.models import Document
from opportune.erpnext.models import Checkpoint, ImportedRecord
from opportune.erpnext.report import DoctypeReport, Report
from opportune.erpnext.sources import Row, Source, SourceError
from opportune.erpnext.values import Skip, local_name, text

Kids = dict[str, list[Row]]


@dataclass(frozen=True)
class Child:
    """A child table of a doctype: read in pages with its parents; ``kind`` says what becomes
    of its rows: item ``rows`` of ``model`` (built by ``build``), the targets of the parent's
    many-to-many ``m2m`` (the row's ``value_field``), or only ``read`` by the parent's build."""

    doctype: str
    kind: Literal["rows", "m2m", "read"]
    model: type[models.Model] | None = None
    parent_field: str = ""  # rows: the foreign key to the parent; m2m: the parent's field
    value_field: str = ""  # m2m: the child row's field holding the target's name
    build: Callable[[Row, Context, str], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Spec:
    doctype: str
    model: type[models.Model]
    build: Callable[[Row, Context, Kids], dict[str, Any]]
    children: tuple[Child, ...] = ()
    order_by: str = "name asc"


@dataclass
class Context:
    """What the builds share during a run: the running user, the site's time zone, the names
    known here per model (read once, kept up to date as pages are written), the users by
    email, and the record being built (for its notes)."""

    by: User
    zone: ZoneInfo
    report: Report
    _known: dict[type[models.Model], set[str]] = field(default_factory=dict)
    _users: dict[str, int] | None = None
    _item_uoms: dict[str, str] | None = None
    doctype: str = ""
    name: str = ""
    deferred: dict[str, dict[str, str]] = field(default_factory=dict)  # this page's

    def known(self, model: type[models.Model]) -> set[str]:
        if model not in self._known:
            self._known[model] = {
                str(pk) for pk in model._default_manager.values_list("pk", flat=True)
            }
        return self._known[model]

    def note(self, note: str, doctype: str | None = None) -> None:
        self.report.of(doctype or self.doctype).note(note, self.name)

    def user(self, value: Any, *, what: str, runner_if_unknown: bool) -> int | None:
        """The user an ERPNext user id (an email address; "Administrator") stands for here:
        the user with that email address (or username). Unknown: the running user when
        ``runner_if_unknown`` (who made and changed records), else nobody (owners of leads and
        opportunities: left empty rather than given to someone else); both are noted."""
        if self._users is None:
            self._users = {}
            for pk, username, address in User.objects.values_list("pk", "username", "email"):
                self._users.setdefault(username.lower(), pk)
                if address:
                    self._users[address.lower()] = pk
        key = text(value).lower()
        if not key:
            return self.by.pk if runner_if_unknown else None
        if key in self._users:
            return self._users[key]
        if key in ("administrator", "guest"):
            return self.by.pk if runner_if_unknown else None
        if runner_if_unknown:
            self.note(f"{what} {key} is not a user here: set to {self.by.get_username()}")
            return self.by.pk
        self.note(f"{what} {key} is not a user here: left empty")
        return None

    def link(self, model: type[models.Model], value: Any, *, what: str) -> str | None:
        """A link to a record that should have come over: kept when it did, else left empty
        (noted)."""
        name = local_name(value)
        if not name:
            return None
        if name in self.known(model):
            return name
        self.note(f"{what} {name} was not imported: left empty")
        return None

    def later(self, model: type[models.Model], value: Any, *, attname: str) -> str | None:
        """A link to a record of a doctype imported later: set now when it is here, else at
        the end of the run (``ImportedRecord.deferred``)."""
        name = local_name(value)
        if not name or name in self.known(model):
            return name or None
        self.deferred.setdefault(self.name, {})[attname] = name
        return None

    def ensure(self, model: type[models.Model], value: Any, *, what: str) -> str | None:
        """A link to a master known by name alone: one that is not here yet is made (noted)."""
        name = local_name(value)
        if not name:
            return None
        known = self.known(model)
        if name not in known:
            obj = model(pk=name)
            model._default_manager.bulk_create([obj], ignore_conflicts=True)
            write_history(model, [obj], update=False, by=self.by, door=IMPORT)
            known.add(name)
            self.note(f"{what} {name} was not in ERPNext's list: made here")
        return name

    def item_uom(self, item: str) -> str | None:
        if self._item_uoms is None:
            from opportune.masters.models import Item

            self._item_uoms = dict(Item.objects.values_list("name", "stock_uom_id"))
        return self._item_uoms.get(item)

    def forget_items(self) -> None:
        self._item_uoms = None


# --- one page ----------------------------------------------------------------------------------
def _fk_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.is_relation]


def _update_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        name, errors = next(iter(error.error_dict.items()))
        return f"{name}: {'; '.join(e.messages[0] for e in errors)}"
    return "; ".join(error.messages)


def _upsert(model: type[models.Model], objs: list[Any], rep: DoctypeReport) -> list[Any]:
    """Insert or update the records by name, in one statement; when the database refuses the
    batch, record by record, skipping (with the database's reason) those it refuses."""
    if not objs:
        return []
    fields = _update_fields(model)

    def write(batch: list[Any]) -> None:
        if not fields:  # a master that is its name alone
            model._default_manager.bulk_create(batch, ignore_conflicts=True)
            return
        model._default_manager.bulk_create(
            batch, update_conflicts=True, unique_fields=["name"], update_fields=fields
        )

    try:
        with transaction.atomic():
            write(objs)
        return objs
    except IntegrityError:
        pass
    written = []
    for obj in objs:
        try:
            with transaction.atomic():
                write([obj])
            written.append(obj)
        except IntegrityError as exc:
            rep.skip(f"the database refused it: {str(exc).splitlines()[0]}", str(obj.pk))
    return written


def import_page(spec: Spec, rows: list[Row], kids: dict[str, Kids], ctx: Context) -> None:
    """Map, check and write one page of ``spec.doctype`` (the caller's transaction)."""
    model = spec.model
    rep = ctx.report.of(spec.doctype)
    is_document = issubclass(model, Document)
    names = [local_name(r.get("name")) for r in rows]
    prior = dict(
        ImportedRecord.objects.filter(doctype=spec.doctype, name__in=names).values_list(
            "name", "modified"
        )
    )
    known = ctx.known(model)
    versions: dict[str, int] = {}
    if is_document:
        versions = dict(
            model._default_manager.filter(pk__in=[n for n in names if n in known]).values_list(
                "pk", "version"
            )
        )
    fks = _fk_names(model)
    ctx.deferred = {}
    records: list[tuple[Any, str, bool]] = []  # (object, ERPNext's modified, already here)
    child_rows: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for row, name in zip(rows, names, strict=True):
        rep.read += 1
        if not name:
            rep.skip("it has no name", "?")
            continue
        modified = text(row.get("modified"))
        here = name in known
        if here and is_document and name not in prior:
            rep.skip("a document of this name was made here, not imported: it is kept", name)
            continue
        if here and modified and prior.get(name) == modified:
            rep.unchanged += 1
            continue
        ctx.doctype, ctx.name = spec.doctype, name
        own_kids = {
            c.doctype: kids.get(c.doctype, {}).get(text(row.get("name")), []) for c in spec.children
        }
        try:
            values = spec.build(row, ctx, own_kids)
            obj = model(**values)
            if is_document:
                obj.version = versions.get(name, 0) + 1  # type: ignore[attr-defined]
            obj.clean_fields(exclude=fks)
        except Skip as exc:
            rep.skip(exc.reason, f"{name}: {exc.detail}" if exc.detail else name)
            continue
        except ValidationError as exc:
            rep.skip(_reason(exc), name)
            continue
        for child in spec.children:
            if child.kind == "rows" and child.build is not None:
                for kid in own_kids[child.doctype]:
                    child_rep = ctx.report.of(f"{child.doctype} of {spec.doctype}")
                    child_rep.read += 1
                    try:
                        child_rows[child.doctype].append((name, child.build(kid, ctx, name)))
                    except Skip as exc:
                        child_rep.skip(exc.reason, f"{name}: {exc.detail}" if exc.detail else name)
            elif child.kind == "m2m":
                child_rep = ctx.report.of(f"{child.doctype} of {spec.doctype}")
                for kid in own_kids[child.doctype]:
                    child_rep.read += 1
                    target = local_name(kid.get(child.value_field))
                    if not target:
                        child_rep.skip(f"its {child.value_field} is empty", name)
                        continue
                    child_rows[child.doctype].append((name, {"target": target}))
        records.append((obj, modified, here))

    written = _upsert(model, [r[0] for r in records], rep)
    done = {obj.pk for obj in written}
    records = [r for r in records if r[0].pk in done]
    created = [obj for obj, _, here in records if not here]
    updated = [obj for obj, _, here in records if here]
    rep.created += len(created)
    rep.updated += len(updated)
    known.update(done)
    _write_children(spec, [obj.pk for obj, _, _ in records], child_rows, ctx)
    write_history(model, created, update=False, by=ctx.by, door=IMPORT)
    write_history(model, updated, update=True, by=ctx.by, door=IMPORT)
    if is_document:
        keep_search_entries([obj for obj, _, _ in records])
    ImportedRecord.objects.bulk_create(
        [
            ImportedRecord(
                doctype=spec.doctype,
                name=obj.pk,
                modified=m,
                deferred=ctx.deferred.get(obj.pk, {}),
            )
            for obj, m, _ in records
        ],
        update_conflicts=True,
        unique_fields=["doctype", "name"],
        update_fields=["modified", "deferred", "imported"],
    )
    if is_document:
        bump_series(model, [obj.pk for obj, _, here in records if not here])


def _write_children(
    spec: Spec,
    parents: list[str],
    child_rows: dict[str, list[tuple[str, dict[str, Any]]]],
    ctx: Context,
) -> None:
    """Replace the child rows of the written parents by ERPNext's."""
    if not parents:
        return
    wanted = set(parents)
    for child in spec.children:
        if child.kind == "read":
            continue
        rep = ctx.report.of(f"{child.doctype} of {spec.doctype}")
        rows = [(p, values) for p, values in child_rows.get(child.doctype, []) if p in wanted]
        if child.kind == "rows" and child.model is not None:
            manager = child.model._default_manager
            keep: set[str] = set()
            try:
                with transaction.atomic():
                    manager.filter(**{f"{child.parent_field}__in": parents}).delete()
            except ProtectedError:
                for parent in parents:  # one by one: keep the rows documents made here use
                    try:
                        with transaction.atomic():
                            manager.filter(**{child.parent_field: parent}).delete()
                    except ProtectedError:
                        keep.add(parent)
                        rep.note("rows kept: documents made here refer to them", parent)
            objs = [
                child.model(**{f"{child.parent_field}_id": p}, **values)
                for p, values in rows
                if p not in keep
            ]
            manager.bulk_create(objs)
            rep.created += len(objs)
        elif child.kind == "m2m":
            relation = spec.model._meta.get_field(child.parent_field)
            through = relation.remote_field.through  # type: ignore[union-attr]
            source = f"{spec.model._meta.model_name}_id"
            target_model = relation.related_model
            target = f"{target_model._meta.model_name}_id"  # type: ignore[union-attr]
            through._default_manager.filter(**{f"{source}__in": parents}).delete()
            links = []
            seen = set()
            for parent, values in rows:
                ctx.doctype, ctx.name = spec.doctype, parent
                name = ctx.ensure(target_model, values["target"], what=child.value_field)  # type: ignore[arg-type]
                if (parent, name) not in seen:
                    seen.add((parent, name))
                    links.append(through(**{source: parent, target: name}))
            through._default_manager.bulk_create(links)
            rep.created += len(links)


# --- a run -------------------------------------------------------------------------------------
def migrate(
    *,
    source: Source,
    by: User,
    zone: ZoneInfo,
    specs: tuple[Spec, ...],
    after: Callable[[Source, Context], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Import every doctype of ``specs`` from ``source``, going on from the checkpoints a
    stopped run left. The source failing (after its retries) stops the run: the report says
    why (``stopped``), and the checkpoints say where the next run goes on."""
    report = Report(source=source.label)
    ctx = Context(by=by, zone=zone, report=report)
    try:
        _run(source, ctx, specs, progress)
        if after is not None:
            with transaction.atomic():
                after(source, ctx)
    except SourceError as exc:
        report.stopped = str(exc)
        return report
    # finished: the next run reads everything again (and writes only what changed)
    Checkpoint.objects.filter(source=source.label).delete()
    return report


def _run(
    source: Source,
    ctx: Context,
    specs: tuple[Spec, ...],
    progress: Callable[[str], None] | None,
) -> None:
    report = ctx.report
    for spec in specs:
        checkpoint, _ = Checkpoint.objects.get_or_create(source=source.label, doctype=spec.doctype)
        report.of(spec.doctype)
        if checkpoint.done:
            report.resumed[spec.doctype] = -1
            continue
        start = checkpoint.next_start
        if start:
            report.resumed[spec.doctype] = start
        while True:
            rows = source.page(spec.doctype, start, order_by=spec.order_by)
            if rows:
                names = [text(r.get("name")) for r in rows]
                kids: dict[str, Kids] = {}
                for child in spec.children:
                    grouped: Kids = defaultdict(list)
                    for kid in source.children(child.doctype, spec.doctype, names):
                        grouped[text(kid.get("parent"))].append(kid)
                    for siblings in grouped.values():
                        siblings.sort(key=lambda r: int(r.get("idx") or 0))
                    kids[child.doctype] = grouped
                with transaction.atomic():
                    import_page(spec, rows, kids, ctx)
                    Checkpoint.objects.filter(pk=checkpoint.pk).update(next_start=start + len(rows))
            start += len(rows)
            if progress:
                progress(f"{spec.doctype}: {start}")
            if len(rows) < source.page_size:
                break
        Checkpoint.objects.filter(pk=checkpoint.pk).update(done=True, next_start=start)
        if spec.doctype == "Item":
            ctx.forget_items()
    with transaction.atomic():
        _set_deferred(specs, ctx)


def _set_deferred(specs: tuple[Spec, ...], ctx: Context) -> None:
    """Set the links that waited for records imported after theirs (one history record each)."""
    models_of = {spec.doctype: spec.model for spec in specs}
    waiting = ImportedRecord.objects.filter(doctype__in=models_of).exclude(deferred={})
    for record in waiting.iterator():
        model = models_of[record.doctype]
        rep = ctx.report.of(record.doctype)
        for attname, target in record.deferred.items():
            field = model._meta.get_field(attname.removesuffix("_id"))
            if target not in ctx.known(field.related_model):  # type: ignore[arg-type]
                rep.note(f"{field.name} {target} was not imported: left empty", record.name)
                continue
            try:
                with transaction.atomic():
                    model._default_manager.filter(pk=record.name).update(**{attname: target})
            except IntegrityError as exc:
                rep.note(f"{field.name} not set: {str(exc).splitlines()[0]}", record.name)
                continue
            write_history(
                model,
                [model._default_manager.get(pk=record.name)],
                update=True,
                by=ctx.by,
                door=IMPORT,
            )
        record.deferred = {}
        record.save(update_fields=["deferred"])
