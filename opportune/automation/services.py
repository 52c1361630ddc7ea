"""Assigning a document to a user and closing the assignment (ERPNext's ToDo), by hand or by the
assignment rules (ERPNext's Assignment Rule, ERPNEXT_BEHAVIOUR section 7 with decision 6):
saving the rules, running them after a document is created or changed, and the dry run that
says what they would do, and why, without writing anything
(docs/decisions/0012-assignment-rules.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Count
from django.utils import timezone

from opportune.automation import conditions, turns
from opportune.automation.models import WEEKDAYS, Assignment, AssignmentRule, AssignmentRuleUser
from opportune.automation.registry import (
    DocumentType,
    document_type,
    document_type_of,
    document_types,
)
from opportune.automation.webhooks import ASSIGNED
from opportune.core.company import company_settings
from opportune.core.errors import ConflictError, FieldErrors, NotFoundError, ValidationError
from opportune.core.models import Comment
from opportune.core.statements import fetch, fetch_master
from opportune.core.timeline import add_comment
from opportune.notifications.models import Notification
from opportune.notifications.services import notify
from opportune.webhooks.services import emit

if TYPE_CHECKING:
    from opportune.core.users import User


def _reference(document: Any) -> tuple[str, str]:
    doctype = getattr(document, "doctype", None)
    if not isinstance(doctype, str) or document.pk is None:
        raise ValueError(f"{document!r} is not a saved document.")
    return doctype, str(document.pk)


def assign(
    document: Any,
    *,
    user: User,
    by: User | None,
    reason: str = "",
    assignment_rule: str | None = None,
    fresh: bool = False,
) -> Assignment:
    """Give ``document`` to ``user``: an Open assignment (the one already open, if any), and a
    line on the document's timeline. An inactive user cannot be given work. ``fresh``: the
    document was inserted in this transaction (it has no assignment yet)."""
    if not user.is_active:  # refused before any write: the caller's transaction goes on
        raise ValidationError.for_field("allocated_to", f"{user.get_username()} is disabled.")
    doctype, name = _reference(document)
    with transaction.atomic(savepoint=False):  # the caller's transaction when there is one
        return _assign(doctype, name, user, by, reason, assignment_rule, fresh)


def _assign(
    doctype: str,
    name: str,
    user: User,
    by: User | None,
    reason: str,
    assignment_rule: str | None,
    fresh: bool,
) -> Assignment:
    existing = (
        None
        if fresh
        else Assignment.objects.filter(
            reference_type=doctype,
            reference_name=name,
            allocated_to=user,
            status=Assignment.Status.OPEN,
        ).first()
    )
    if existing is not None:
        return existing
    assignment = Assignment.objects.create(
        reference_type=doctype,
        reference_name=name,
        allocated_to=user,
        assigned_by=by,
        assignment_rule=assignment_rule,
        reason=reason,
    )
    add_comment(
        doctype,
        name,
        content=f"Assigned to {user.get_username()}"
        + (f" by rule {assignment_rule}" if assignment_rule else "")
        + (f": {reason}" if reason else ""),
        by=by,
        comment_type=Comment.Type.ASSIGNED,
    )
    emit(ASSIGNED, assignment)
    return assignment


@transaction.atomic
def close_assignment(
    assignment: Assignment, *, by: User | None, status: str = Assignment.Status.CLOSED
) -> Assignment:
    """Close (the work is done) or cancel an open assignment; closing a closed one changes
    nothing. The user no longer sees the document through it."""
    if status not in (Assignment.Status.CLOSED, Assignment.Status.CANCELLED):
        raise ValidationError.for_field("status", f"must be Closed or Cancelled, not {status}.")
    claimed = Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.OPEN).update(
        status=status
    )
    assignment.refresh_from_db()
    if claimed:
        add_comment(
            assignment.reference_type,
            assignment.reference_name,
            content=f"Assignment of {assignment.allocated_to.get_username()} {status.lower()}",
            by=by,
            comment_type=Comment.Type.ASSIGNED,
        )
    return assignment


def _set_status(assignment: Assignment, status: str, *, by: User | None, why: str = "") -> bool:
    """Move an Open or Closed assignment to ``status``, with its line on the timeline."""
    claimed = (
        Assignment.objects.filter(pk=assignment.pk)
        .exclude(status__in=(status, Assignment.Status.CANCELLED))
        .update(status=status)
    )
    if claimed:
        assignment.status = status
        verb = {"Open": "reopened", "Closed": "closed", "Cancelled": "cancelled"}[status]
        add_comment(
            assignment.reference_type,
            assignment.reference_name,
            content=f"Assignment of {assignment.allocated_to.get_username()} {verb}"
            + (f": {why}" if why else ""),
            by=by,
            comment_type=Comment.Type.ASSIGNED,
        )
    return bool(claimed)


def _tell(kind: DocumentType, document: Any, assignment: Assignment, *, by: User | None) -> None:
    """The assignee hears of it (not when they assigned it to themselves)."""
    user = assignment.allocated_to
    if by is not None and by.pk == user.pk:
        return
    who = by.get_username() if by is not None else "Opportune"
    notify(
        user,
        kind=Notification.Kind.ASSIGNMENT,
        subject=f"{who} assigned {kind.doctype} {assignment.reference_name} to you",
        body=assignment.reason,
        link=kind.url(document),
        reference_type=kind.doctype,
        reference_name=assignment.reference_name,
        key=f"assignment:{assignment.pk}",
    )


# --- assigning by hand ---------------------------------------------------------------------------
def _kind(doctype: str, field_name: str = "reference_type") -> DocumentType:
    kind = document_type(doctype)
    if kind is None:
        raise ValidationError.for_field(
            field_name, f"Choose one of: {', '.join(document_types())} (not {doctype!r})."
        )
    return kind


def assign_by_hand(
    *, reference_type: str, reference_name: str, allocated_to: str, by: User
) -> Assignment:
    """A user who may change the document gives it to a sales user: an Open assignment (no
    rule), the owner field follows it (ERPNext's ``_assign``), and the assignee is told."""
    kind = _kind(reference_type)
    try:
        document = kind.lookup(by, reference_name, write=True)
    except NotFoundError as exc:
        raise NotFoundError(exc.message, fields={"reference_name": [exc.message]}) from exc
    user = get_user_model().objects.filter(username=allocated_to).first()
    if user is None or not kind.can_be_assigned(user):
        raise ValidationError.for_field(
            "allocated_to", f"{allocated_to!r} is not a user who can be given a {kind.doctype}."
        )
    with transaction.atomic():
        assignment = assign(document, user=user, by=by, reason=f"Assigned by {by.get_username()}")
        kind.set_owner(document, user, by)
        _tell(kind, document, assignment, by=by)
    return assignment


def end_assignment(assignment: Assignment, *, status: str, by: User) -> Assignment:
    """Close (done) or cancel an assignment by hand. The owner field is left as it is: ERPNext
    keeps the document's owner when an assignment is removed."""
    if status not in (Assignment.Status.CLOSED, Assignment.Status.CANCELLED):
        raise ValidationError.for_field("status", f"must be Closed or Cancelled, not {status}.")
    if assignment.status == Assignment.Status.CANCELLED:
        raise ConflictError("This assignment is cancelled already.")
    with transaction.atomic():
        _set_status(assignment, status, by=by)
    assignment.refresh_from_db()
    return assignment


# --- the rules: saving them ------------------------------------------------------------------------
RULE_FIELDS = frozenset(
    {
        "name",
        "document_type",
        "priority",
        "disabled",
        "description",
        "assign_condition",
        "unassign_condition",
        "close_condition",
        "assignment_days",
        "rule",
        "field",
        "users",
    }
)
CONDITIONS = ("assign_condition", "unassign_condition", "close_condition")


def _check_days(days: Any, errors: FieldErrors) -> list[str]:
    if days is None:
        return []
    if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
        errors.add("assignment_days", "Give a list of weekday names.")
        return []
    for day in days:
        if day not in WEEKDAYS:
            errors.add("assignment_days", f"{day!r} is not a weekday ({', '.join(WEEKDAYS)}).")
    repeated = sorted({d for d in days if days.count(d) > 1}, key=days.index)
    if repeated:
        errors.add(
            "assignment_days",
            f"The following Assignment Days have been repeated: {', '.join(repeated)}",
        )
    return [d for d in WEEKDAYS if d in days]


def _check_users(usernames: Any, errors: FieldErrors) -> list[Any]:
    if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
        errors.add("users", "Give a list of usernames, in order.")
        return []
    found = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    for username in dict.fromkeys(usernames):
        if username not in found:
            errors.add("users", f"User {username!r} does not exist.")
    repeated = sorted({u for u in usernames if usernames.count(u) > 1})
    if repeated:
        errors.add("users", f"Listed more than once: {', '.join(repeated)}.")
    return [found[u] for u in dict.fromkeys(usernames) if u in found]


def _apply_rule_data(
    rule: AssignmentRule, data: Mapping[str, Any], *, creating: bool
) -> list[Any] | None:
    """Set the fields ``data`` names on ``rule`` after checking all of them (one 422 naming
    every problem); the users in order when given."""
    unknown = sorted(set(data) - RULE_FIELDS)
    if unknown:
        raise ValidationError(
            f"Unknown fields: {', '.join(unknown)}.",
            fields={name: ["Unknown field."] for name in unknown},
        )
    if not creating and "name" in data and data["name"] != rule.name:
        raise ValidationError.for_field("name", "A rule's name cannot be changed.")
    errors = FieldErrors()
    for key in ("name", "description", "field", "rule", "document_type"):
        if key in data:
            value = data[key]
            if not isinstance(value, str) and not (key == "field" and value is None):
                errors.add(key, "Must be text.")
            else:
                setattr(rule, key, (value or "").strip())
    if "priority" in data:
        if isinstance(data["priority"], bool) or not isinstance(data["priority"], int):
            errors.add("priority", "Must be a whole number.")
        else:
            rule.priority = data["priority"]
    if "disabled" in data:
        rule.disabled = bool(data["disabled"])
    if "assignment_days" in data:
        rule.assignment_days = _check_days(data["assignment_days"], errors)
    if creating and not rule.name:
        errors.add("name", "Give the rule a name.")
    if creating and "/" in rule.name:  # it is a part of the rule's URL
        errors.add("name", "A rule's name cannot contain /.")
    if not (rule.description or "").strip():
        errors.add("description", "Give a description.")
    kind = document_type(rule.document_type)
    if kind is None:
        errors.add("document_type", f"Choose one of: {', '.join(document_types())}.")
    if rule.rule not in AssignmentRule.Rule.values:
        errors.add("rule", f"Choose one of: {', '.join(AssignmentRule.Rule.values)}.")
    type_changed = "document_type" in data and not creating
    for key in CONDITIONS:
        if kind is None or (key not in data and not creating and not type_changed):
            continue
        value, problems = conditions.check(data.get(key, getattr(rule, key)), kind.fields)
        for problem in problems:
            errors.add(key, problem)
        setattr(rule, key, value)
    if (
        kind is not None
        and rule.assign_condition is None
        and "assign_condition" not in errors.fields
    ):
        errors.add("assign_condition", "Give at least one condition: an empty one never matches.")
    users = _check_users(data["users"], errors) if "users" in data else None
    based = rule.rule == AssignmentRule.Rule.BASED_ON_FIELD
    if based and kind is not None and rule.field not in kind.user_fields:
        errors.add("field", f"Choose a user field: {', '.join(kind.user_fields)}.")
    if not based:
        if rule.field and "field" in data:
            errors.add("field", "Only a Based on Field rule names a field.")
        rule.field = ""
        listed = users if users is not None else (None if creating else rule.user_rows.all())
        if not listed and "users" not in errors.fields:
            errors.add("users", "Give at least one user (in the order they take turns).")
    errors.raise_if_any()
    return users


def _save_users(rule: AssignmentRule, users: Sequence[Any] | None) -> None:
    if users is None:
        return
    rule.user_rows.all().delete()
    AssignmentRuleUser.objects.bulk_create(
        AssignmentRuleUser(assignment_rule=rule, user=user, idx=n) for n, user in enumerate(users)
    )


def create_assignment_rule(
    *, data: Mapping[str, Any], by: User, now: datetime | None = None
) -> AssignmentRule:
    now = now or timezone.now()
    rule = AssignmentRule(creation=now, modified=now)
    users = _apply_rule_data(rule, data, creating=True)
    with transaction.atomic():
        if AssignmentRule.objects.filter(pk=rule.name).exists():
            raise ConflictError(
                f"Assignment Rule {rule.name} exists already.",
                fields={"name": ["exists already"]},
            )
        rule.save(force_insert=True)
        _save_users(rule, users)
    return rule


def update_assignment_rule(
    rule: AssignmentRule, *, data: Mapping[str, Any], by: User, now: datetime | None = None
) -> AssignmentRule:
    with transaction.atomic():
        locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        users = _apply_rule_data(locked, data, creating=False)
        locked.modified = now or timezone.now()
        locked.save()
        _save_users(locked, users)
    return locked


def delete_assignment_rule(rule: AssignmentRule, *, by: User) -> None:
    """The assignments it made stay (they name it as text, as ERPNext's ToDos do)."""
    AssignmentRule.objects.filter(pk=rule.pk).delete()  # its sequence stays (decision 0035)


def rule_usernames(rule: AssignmentRule) -> list[str]:
    return [row.user.get_username() for row in rule.user_rows.all()]


# --- the rules: running them -----------------------------------------------------------------------
@dataclass
class RuleReport:
    rule: str
    priority: int
    matched: bool = False
    reason: str = ""


@dataclass
class Outcome:
    """What the rules did (or, in a dry run, would do) to one document, and why."""

    document_type: str
    name: str | None
    action: str = "none"  # assign | keep | unassign | close | reopen | none
    rule: str | None = None
    user: str | None = None
    reason: str = ""
    rules: list[RuleReport] = field(default_factory=list)
    assignment: Assignment | None = None


def weekday(now: datetime) -> str:
    """The day it is at ``now`` in the company's time zone (CRM Settings ``time_zone``)."""
    name = getattr(company_settings(), "time_zone", "") or "UTC"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return WEEKDAYS[now.astimezone(zone).weekday()]


def _enabled_rules(doctype: str, *, fresh: bool = False) -> list[AssignmentRule]:
    """By priority; a kept statement (core/statements.py): every write of a document reads it,
    from the rows kept in the process (core.master_cache) unless ``fresh``: their ``turns`` and
    ``last_user``, which a create's turn moves, are not kept up to date there."""
    return (fetch if fresh else fetch_master)(
        "automation.enabled_rules",
        lambda v: AssignmentRule.objects.filter(document_type=v.doctype, disabled=False).order_by(
            "-priority", "name"
        ),
        doctype=doctype,
    )


def _assignments_of(doctype: str, name: str) -> list[Assignment]:
    """The document's assignments but the cancelled, with their users, oldest first (a kept
    statement: every change of a document the rules take reads them)."""
    return fetch(
        "automation.assignments_of",
        lambda v: (
            Assignment.objects.filter(reference_type=v.doctype, reference_name=v.name)
            .exclude(status=Assignment.Status.CANCELLED)
            .select_related("allocated_to")
            .order_by("id")
        ),
        doctype=doctype,
        name=name,
    )


@dataclass(frozen=True)
class Member:
    """A user a rule may give a document to, as picking one reads it (not the whole user: a
    rota of forty is read on every create). ``user``: the whole user, when it was read."""

    pk: int
    username: str
    is_active: bool
    user: Any = None


Rotas = dict[str, list[Member]]  # each rule's users in their order, by the rule's name


def _rotas(rules: Sequence[AssignmentRule]) -> Rotas:
    """The users of the rules that pick among a list, in order; one kept statement."""
    picking = [r.pk for r in rules if r.rule != AssignmentRule.Rule.BASED_ON_FIELD]
    rotas: Rotas = {name: [] for name in picking}
    if not picking:
        return rotas
    rows = fetch_master(
        "automation.rule_members",
        lambda v: (
            AssignmentRuleUser.objects.filter(assignment_rule__in=v.rules)
            .order_by("idx")
            .values_list("assignment_rule_id", "user_id", "user__username", "user__is_active")
        ),
        rules=picking,
    )
    for rule_name, pk, username, is_active in rows:
        rotas[rule_name].append(Member(pk, username, is_active))
    return rotas


def _user_of(member: Member) -> Any:
    """The user a member names, to give the document to: the whole user when it was read, else
    the user as a read of those three columns gives it (its other fields are deferred: one of
    them, read, costs a query; none is on the way of an assignment)."""
    if member.user is not None:
        return member.user
    return get_user_model().from_db(
        DEFAULT_DB_ALIAS,
        ["id", "username", "is_active"],
        [member.pk, member.username, member.is_active],
    )


def _pick(
    rule: AssignmentRule, values: Mapping[str, Any], rota: list[Member] | None, *, write: bool
) -> tuple[Member | None, str, int | None]:
    """The user the rule gives the document to, and why; (None, why not, None) when nobody.
    Round robin also answers the turn it used: taken for good with ``write`` (automation.turns:
    one statement that waits for no other create), else the turn the next create would take.
    ``rota``: the rule's users (``_rotas``), else read here."""
    if rule.rule == AssignmentRule.Rule.BASED_ON_FIELD:
        username = values.get(rule.field)
        if not username:
            return None, f"{rule.field} is not set", None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            return None, f"{rule.field} {username!r} is not a user", None
        if not user.is_active:
            return None, f"{username} ({rule.field}) is inactive", None
        return Member(user.pk, username, True, user), f"Based on Field {rule.field}", None
    users = rota if rota is not None else _rotas([rule])[rule.pk]
    active = [user for user in users if user.is_active]
    if not active:
        return None, "no active user" if users else "no users", None
    if rule.rule == AssignmentRule.Rule.ROUND_ROBIN:
        turn = turns.take_turn(rule) if write else turns.next_turn(rule)
        start = (turn - 1) % len(users)
        skipped = []
        for offset in range(len(users)):
            chosen = users[(start + offset) % len(users)]
            if chosen.is_active:
                break
            skipped.append(chosen.username)
        if turn > 1:
            reason = f"Round Robin, after {users[start - 1].username}"
        else:
            reason = "Round Robin, first in the list"
        if skipped:
            reason += f" (skipped inactive {', '.join(skipped)})"
        return chosen, reason, turn
    counts = dict(
        Assignment.objects.filter(
            reference_type=rule.document_type,
            status=Assignment.Status.OPEN,
            allocated_to__in=[user.pk for user in active],
        )
        .values("allocated_to")
        .annotate(n=Count("id"))
        .values_list("allocated_to", "n")
    )
    chosen = min(active, key=lambda user: counts.get(user.pk, 0))  # ties: the first listed
    return chosen, f"Load Balancing, fewest open: {counts.get(chosen.pk, 0)}", None


def _run(
    kind: DocumentType,
    values: Mapping[str, Any],
    document: Any | None,
    name: str | None,
    rules: list[AssignmentRule],
    *,
    by: User | None,
    now: datetime,
    write: bool,
    fresh: bool = False,
    rotas: Rotas | None = None,
) -> Outcome:
    """ERPNext's ``apply`` (section 7.3) with the enabled ``rules`` by priority: unassign,
    assign, then close or reopen. With ``write=False`` (the dry run) the same decisions are
    made and nothing is written. ``rotas``: the rules' users when read already."""
    rotas = rotas or {}
    outcome = Outcome(kind.doctype, name)
    reports = {rule.name: RuleReport(rule.name, rule.priority) for rule in rules}
    outcome.rules = list(reports.values())
    today = weekday(now)
    applicable = []
    for rule in rules:
        if rule.assignment_days and today not in rule.assignment_days:
            reports[rule.name].reason = f"not on {today} (days: {', '.join(rule.assignment_days)})"
        else:
            applicable.append(rule)
    existing: list[Assignment] = []
    if name is not None and not fresh:
        existing = _assignments_of(kind.doctype, name)
    cleared = False
    if existing:  # the unassign phase: only a rule that made one of them may clear them
        made_by = {a.assignment_rule for a in existing if a.assignment_rule}
        for rule in applicable:
            if conditions.is_empty(rule.unassign_condition) or rule.name not in made_by:
                continue
            verdict = conditions.evaluate(rule.unassign_condition, values, kind.fields)
            if verdict.matched:
                cleared = True
                why = f"unassign condition of {rule.name}: {verdict.reason}"
                outcome.action, outcome.rule, outcome.reason = "unassign", rule.name, why
                if write:
                    for assignment in existing:
                        _set_status(assignment, Assignment.Status.CANCELLED, by=by, why=why)
                break
    if not existing or cleared:
        for rule in applicable:
            report = reports[rule.name]
            verdict = conditions.evaluate(rule.assign_condition, values, kind.fields)
            if not verdict.matched:
                report.reason = f"assign condition: {verdict.reason}"
                continue
            member, why, turn = _pick(rule, values, rotas.get(rule.pk), write=write)
            if member is None:
                report.reason = f"assign condition holds, but {why}"
                continue
            report.matched, report.reason = True, why
            outcome.action, outcome.rule, outcome.reason = "assign", rule.name, why
            outcome.user = member.username
            if write:
                user = _user_of(member)
                assignment = assign(
                    document,
                    user=user,
                    by=by,
                    reason=why,
                    assignment_rule=rule.name,
                    fresh=fresh,
                )
                if turn is not None:
                    turns.turn_taken(rule, turn, user)
                kind.set_owner(document, user, by, fresh=fresh)
                _tell(kind, document, assignment, by=by)
                outcome.assignment = assignment
            break
        for report in outcome.rules:
            if not report.reason and not report.matched:
                report.reason = "not reached: an earlier rule assigned"
    else:
        holders = ", ".join(sorted({a.allocated_to.get_username() for a in existing}))
        outcome.action = "keep"
        outcome.reason = f"already assigned to {holders}: the assignment stays"
        for report in outcome.rules:
            report.reason = report.reason or f"not tried: already assigned to {holders}"
    if outcome.action != "unassign" and (existing or outcome.assignment):
        _close_phase(kind, values, applicable, existing, outcome, by=by, write=write)
    return outcome


def _close_phase(
    kind: DocumentType,
    values: Mapping[str, Any],
    applicable: Sequence[AssignmentRule],
    existing: list[Assignment],
    outcome: Outcome,
    *,
    by: User | None,
    write: bool,
) -> None:
    """A rule's close condition closes the document's open assignments; while it does not
    hold, the assignments a rule made and something closed are opened again."""
    current = existing + ([outcome.assignment] if outcome.assignment else [])
    for rule in applicable:
        if conditions.is_empty(rule.close_condition):
            continue
        verdict = conditions.evaluate(rule.close_condition, values, kind.fields)
        if verdict.matched:
            why = f"close condition of {rule.name}: {verdict.reason}"
            if outcome.action in ("none", "keep"):
                outcome.action, outcome.rule, outcome.reason = "close", rule.name, why
            if write:
                for assignment in current:
                    if assignment.status == Assignment.Status.OPEN:
                        _set_status(assignment, Assignment.Status.CLOSED, by=by, why=why)
            return
        if outcome.assignment is not None:
            continue
        reopen = [
            a
            for a in current
            if a.status == Assignment.Status.CLOSED
            and a.assignment_rule
            and not any(
                b.status == Assignment.Status.OPEN and b.allocated_to_id == a.allocated_to_id
                for b in current
            )
        ]
        if reopen:
            why = f"close condition of {rule.name} no longer holds"
            outcome.action, outcome.rule, outcome.reason = "reopen", rule.name, why
            if write:
                for assignment in reopen:
                    _set_status(assignment, Assignment.Status.OPEN, by=by, why=why)
            return


def assignment_rules_apply(doctype: str) -> bool:
    """Whether documents of the type have an enabled rule (a bulk write asks once, then runs
    ``apply_assignment_rules`` on each document it made only when they do)."""
    return AssignmentRule.objects.filter(document_type=doctype, disabled=False).exists()


@dataclass(frozen=True)
class CreateRules:
    """What ``rules_for_create`` reads: the enabled rules, and the users of those that pick
    among a list."""

    rules: list[AssignmentRule]
    rotas: Rotas


def rules_for_create(document: Any) -> CreateRules:
    """The enabled rules of the document's type with their users, read before a new document
    takes its name: what ``apply_assignment_rules(..., rules=)`` then reads no more, while the
    naming series' row is locked (SQLite, decision 0001: held from the name to the commit)."""
    kind = document_type_of(document)
    if kind is None:
        return CreateRules([], {})
    rules = _enabled_rules(kind.doctype)
    return CreateRules(rules, _rotas(rules))


def apply_assignment_rules(
    document: Any,
    *,
    by: User | None,
    now: datetime | None = None,
    fresh: bool = False,
    rules: CreateRules | None = None,
) -> Outcome | None:
    """Run the enabled rules of the document's type on it, after it was created or changed
    (the services of its app call this; no signal). None when its type has no rule. ``fresh``:
    the document is new (inserted in this transaction, or named and about to be: its type's
    ``set_owner`` then only sets the owner its INSERT writes), so it has no assignment to
    look for.
    ``rules``: those ``rules_for_create`` read (else they are read here)."""
    kind = document_type_of(document)
    if kind is None:
        return None
    enabled = rules.rules if rules is not None else _enabled_rules(kind.doctype)
    if not enabled:  # one query when a type has no rule
        return None
    values = kind.values(document, _fields_read(enabled))  # a user field costs a query: only those
    now = now or timezone.now()
    # the caller's transaction when there is one (a savepoint would cost two queries)
    with transaction.atomic(savepoint=False):
        return _run(
            kind,
            values,
            document,
            str(document.pk),
            enabled,
            by=by,
            now=now,
            write=True,
            fresh=fresh,
            rotas=rules.rotas if rules is not None else None,
        )


def _fields_read(rules: Sequence[AssignmentRule]) -> set[str]:
    """The fields the rules' conditions name, and the field a Based on Field rule reads."""
    names = {rule.field for rule in rules if rule.rule == AssignmentRule.Rule.BASED_ON_FIELD}
    for rule in rules:
        for key in CONDITIONS:
            names |= conditions.fields_named(getattr(rule, key))
    return names


def dry_run(
    *,
    document_type: str,
    name: str | None = None,
    document: Mapping[str, Any] | None = None,
    by: User,
    now: datetime | None = None,
) -> Outcome:
    """What the rules would do to a saved document (``name``, which ``by`` must see), to a
    document described in ``document``, or to a saved one changed as ``document`` says: the
    rule and user chosen and why, and why each other rule did not match. Writes nothing."""
    kind = _kind(document_type, "document_type")
    if name is None and document is None:
        raise ValidationError.for_field("name", "Name a saved document or describe one.")
    values: dict[str, Any] = {}
    if name is not None:
        try:
            values = kind.values(kind.lookup(by, name))
        except NotFoundError as exc:
            raise NotFoundError(exc.message, fields={"name": [exc.message]}) from exc
    if document is not None:
        values.update(kind.values_from_body(document))
    rules = _enabled_rules(kind.doctype, fresh=True)  # the next turn: the row as it is
    return _run(kind, values, None, name, rules, by=by, now=now or timezone.now(), write=False)
