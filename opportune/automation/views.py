"""Pages of the assignment rules (managers): the list, the form with its condition builder, the
dry run; and the assignment buttons of a document's page (assign to, close, cancel).

Thin adapters: the form's fields are read into the service's ``data`` (the same shape as the
API's) and the service's errors are shown beside the fields they name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opportune.accounts.roles import sales_users
from opportune.automation import access, services
from opportune.automation.conditions import LIST_OPS, NO_VALUE, OPS
from opportune.automation.models import WEEKDAYS, Assignment, AssignmentRule
from opportune.automation.registry import document_type, document_types
from opportune.core.errors import DomainError, ValidationError
from opportune.core.pages import as_http, safe_next

if TYPE_CHECKING:
    from opportune.core.users import SignedInRequest

CONDITIONS = (
    ("assign_condition", "Assign when"),
    ("unassign_condition", "Unassign when"),
    ("close_condition", "Close when"),
)


def _managers_only(request: SignedInRequest) -> None:
    if not access.can_manage_rules(request.user):
        raise PermissionDenied("Only managers keep the assignment rules.")


@login_required
def rule_list(request: SignedInRequest) -> HttpResponse:
    _managers_only(request)
    rules = access.rules_visible_to(request.user).order_by("document_type", "-priority", "name")
    return render(request, "automation/rule_list.html", {"rules": rules})


# --- the form: posted fields <-> the service's data ------------------------------------------------
def _condition_from_post(post: QueryDict, key: str) -> dict[str, Any] | None:
    fields, ops, values = (post.getlist(f"{key}-{part}") for part in ("field", "op", "value"))
    clauses = []
    for field, op, value in zip(fields, ops, values, strict=False):
        if not field:
            continue
        clause: dict[str, Any] = {"field": field, "op": op}
        if op in LIST_OPS:
            clause["value"] = [v.strip() for v in value.split(",") if v.strip()]
        elif op not in NO_VALUE:
            clause["value"] = value
        clauses.append(clause)
    if not clauses:
        return None
    return {"match": post.get(f"{key}-match") or "all", "conditions": clauses}


def _data_from_post(post: QueryDict, *, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "document_type": post.get("document_type", ""),
        "description": post.get("description", ""),
        "rule": post.get("rule", ""),
        "field": post.get("field", "") if post.get("rule") == "Based on Field" else "",
        "disabled": post.get("disabled") == "on",
        "assignment_days": post.getlist("assignment_days"),
        "users": [u for u in post.getlist("users") if u],
    }
    if creating:
        data["name"] = post.get("name", "")
    try:
        data["priority"] = int(post.get("priority") or 0)
    except ValueError:
        data["priority"] = post.get("priority")
    for key, _label in CONDITIONS:
        data[key] = _condition_from_post(post, key)
    return data


def _rows(condition: dict[str, Any] | None) -> list[dict[str, str]]:
    rows = []
    for clause in (condition or {}).get("conditions", []):
        value = clause.get("value")
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        rows.append({"field": clause["field"], "op": clause["op"], "value": shown or ""})
    return rows or [{"field": "", "op": "eq", "value": ""}]


def _form_context(data: dict[str, Any], errors: dict[str, list[str]], rule: Any) -> dict[str, Any]:
    doctype = data.get("document_type") or "Opportunity"
    kind = document_type(doctype)
    conditions = [
        {
            "key": key,
            "label": label,
            "match": (data.get(key) or {}).get("match", "all"),
            "rows": _rows(data.get(key)),
            "errors": errors.get(key, []),
        }
        for key, label in CONDITIONS
    ]
    return {
        "rule": rule,
        "data": data,
        "errors": errors,
        "conditions": conditions,
        "document_types": document_types(),
        "fields": sorted(kind.fields) if kind else [],
        "user_fields": kind.user_fields if kind else (),
        "ops": OPS,
        "weekdays": WEEKDAYS,
        "rule_kinds": AssignmentRule.Rule.values,
        "users": sales_users(),
        "chosen_users": data.get("users") or [""],
    }


def _rule_data(rule: AssignmentRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "document_type": rule.document_type,
        "priority": rule.priority,
        "disabled": rule.disabled,
        "description": rule.description,
        "assign_condition": rule.assign_condition,
        "unassign_condition": rule.unassign_condition,
        "close_condition": rule.close_condition,
        "assignment_days": rule.assignment_days,
        "rule": rule.rule,
        "field": rule.field,
        "users": services.rule_usernames(rule),
    }


@login_required
@as_http
def rule_form(request: SignedInRequest, name: str | None = None) -> HttpResponse:
    _managers_only(request)
    rule = access.get_rule_for(request.user, name, write=True) if name is not None else None
    data = _rule_data(rule) if rule else {"document_type": "Opportunity", "rule": "Round Robin"}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = _data_from_post(request.POST, creating=rule is None)
        try:
            if rule is None:
                saved = services.create_assignment_rule(data=data, by=request.user)
            else:
                saved = services.update_assignment_rule(rule, data=data, by=request.user)
        except DomainError as exc:
            errors = exc.fields or {"form": [exc.message]}
            if rule is None:
                data["name"] = request.POST.get("name", "")
        else:
            messages.success(request, f"Assignment rule {saved.name} saved.")
            return redirect("automation:rule_list")
    status = 422 if errors else 200
    return render(
        request, "automation/rule_form.html", _form_context(data, errors, rule), status=status
    )


@login_required
@require_POST
@as_http
def rule_delete(request: SignedInRequest, name: str) -> HttpResponse:
    _managers_only(request)
    rule = access.get_rule_for(request.user, name, write=True)
    services.delete_assignment_rule(rule, by=request.user)
    messages.success(request, f"Assignment rule {name} deleted.")
    return redirect("automation:rule_list")


@login_required
@as_http
def dry_run(request: SignedInRequest) -> HttpResponse:
    """Which rule would take a saved document, and why: a read (GET), nothing is written."""
    _managers_only(request)
    doctype = request.GET.get("document_type") or "Opportunity"
    name = (request.GET.get("name") or "").strip()[:140]
    outcome, error = None, ""
    if name:
        try:
            outcome = services.dry_run(document_type=doctype, name=name, by=request.user)
        except DomainError as exc:
            error = exc.message
    context = {
        "document_types": document_types(),
        "document_type": doctype,
        "name": name,
        "outcome": outcome,
        "error": error,
    }
    return render(request, "automation/dry_run.html", context)


# --- a document's assignments ---------------------------------------------------------------------
def _back(request: SignedInRequest) -> HttpResponse:
    return redirect(safe_next(request, "home"))


@login_required
@require_POST
@as_http
def assignment_create(request: SignedInRequest) -> HttpResponse:
    try:
        assignment = services.assign_by_hand(
            reference_type=request.POST.get("reference_type", ""),
            reference_name=request.POST.get("reference_name", ""),
            allocated_to=request.POST.get("allocated_to", ""),
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Assigned to {assignment.allocated_to.get_username()}.")
    return _back(request)


@login_required
@require_POST
@as_http
def assignment_end(request: SignedInRequest, id: int, status: str) -> HttpResponse:
    assignment = access.get_assignment_for(request.user, id, write=True)
    try:
        services.end_assignment(assignment, status=status, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Assignment {status.lower()}.")
    return _back(request)


def assignment_close(request: SignedInRequest, id: int) -> HttpResponse:
    return assignment_end(request, id, Assignment.Status.CLOSED)


def assignment_cancel(request: SignedInRequest, id: int) -> HttpResponse:
    return assignment_end(request, id, Assignment.Status.CANCELLED)
