"""Every business operation on an opportunity: create, update, lost, reopen, status, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from opportune.activities.services import delete_document_events
from opportune.automation.services import apply_assignment_rules, rules_for_create
from opportune.core.commits import service_atomic
from opportune.core.documents import (
    delete_document,
    lock_document,
    require_version,
    save_document,
    stamp_new,
)
from opportune.core.errors import ConflictError, FieldErrors, ValidationError
from opportune.core.fields import check_known_fields
from opportune.core.models import Comment
from opportune.core.timeline import add_comment
from opportune.crm.models import (
    Competitor,
    Lead,
    Opportunity,
    OpportunityLostReason,
)
from opportune.crm.next_contact import has_next_contact, sync_next_contact_event
from opportune.crm.services.carry_forward import carry_forward_from_lead
from opportune.crm.services.comments import add_document_comment
from opportune.crm.services.opportunity_draft import WRITABLE, OpportunityDraft
from opportune.crm.services.parties import create_lead_from_email, party_for_email
from opportune.crm.status import (
    computed_opportunity_status,
    quotation_probe,
    refresh_lead_status,
    write_status_change,
)
from opportune.crm.webhooks import CREATED, LOST, UPDATED, opportunity_changed

if TYPE_CHECKING:
    from opportune.core.users import User


# --- public services ---------------------------------------------------------------------------
def create_opportunity(
    *, data: Mapping[str, Any], by: User, now: datetime | None = None
) -> Opportunity:
    """A new Open opportunity from plain input, with every derived value filled."""
    now = now or timezone.now()
    opportunity = new_opportunity(data, now=now)
    with service_atomic():
        draft = OpportunityDraft(
            opportunity, _with_party_of_email(data, by=by), creating=True, now=now
        )
        draft.apply()
        # the rules are read before the name is taken (on SQLite its series' row stays locked
        # until the commit, decision 0001: concurrent creates wait on it for less)
        rules = rules_for_create(opportunity)
        stamp_new(opportunity, by=by, now=now)
        # the rules run before the INSERT (decision 0039): the assignee is the owner the
        # INSERT writes, so a new opportunity is one row write and one history record
        opportunity.take_name()
        apply_assignment_rules(opportunity, by=by, now=now, fresh=True, rules=rules)
        draft.save(by=by)
        if has_next_contact(opportunity):
            sync_next_contact_event(opportunity, now=now)
        if opportunity.lead is not None:
            refresh_lead_status(opportunity.lead)
            carry_forward_from_lead(opportunity.lead, opportunity, by=by)
        opportunity_changed(opportunity, event=CREATED, old_status=opportunity.status)
    return opportunity


def new_opportunity(data: Mapping[str, Any], *, now: datetime) -> Opportunity:
    """The unsaved opportunity ``create_opportunity`` (and its bulk twin) starts from, after
    the checks of its input that need no draft."""
    check_known_fields(data, WRITABLE)
    if data.get("status") not in (None, Opportunity.Status.OPEN):
        raise ValidationError.for_field("status", "A new opportunity starts Open.")
    return Opportunity(
        transaction_date=timezone.localdate(now),
        opportunity_type_id="Sales",
        status=Opportunity.Status.OPEN,
    )


def needs_party_of_email(data: Mapping[str, Any]) -> bool:
    """Whether the opportunity's party comes from its e-mail address (``_with_party_of_email``:
    found, or a new lead made for it)."""
    email = data.get("contact_email")
    return not data.get("party_name") and isinstance(email, str) and "@" in email


def _with_party_of_email(data: Mapping[str, Any], *, by: User) -> Mapping[str, Any]:
    """An opportunity raised from an e-mail address alone belongs to the party behind it, or
    to a new lead made for that address (ERPNext's make_new_lead_if_required)."""
    if not needs_party_of_email(data):
        return data
    email = data["contact_email"]
    party = party_for_email(email)
    if party is None:
        party = ("Lead", create_lead_from_email(email, by=by).name)
    return {**data, "opportunity_from": party[0], "party_name": party[1]}


def update_opportunity(
    opportunity: Opportunity,
    *,
    data: Mapping[str, Any],
    version: int | None,
    by: User,
    now: datetime | None = None,
    row_locked: bool = False,
) -> Opportunity:
    """Apply a partial change. ``version`` must be the one the caller read (else 409).
    ``row_locked``: ``opportunity`` was read ``FOR UPDATE`` in the caller's transaction (the
    API's change): it is changed as read, with no claim of its own (core.documents)."""
    check_known_fields(data, WRITABLE)
    require_version(version)
    now = now or timezone.now()
    with service_atomic():
        locked = lock_document(
            Opportunity,
            opportunity.pk,
            expected_version=version,
            by=by,
            returning=True,
            held=opportunity if row_locked else None,
        )
        old_lead_id, had_next_contact = locked.lead_id, has_next_contact(locked)
        draft = OpportunityDraft(locked, data, creating=False, now=now)
        draft.apply()
        if "status" in data and data["status"] != draft.original_status:
            _change_status_by_hand(locked, data["status"], draft.original_status, by=by)
        draft.save(by=by)
        if had_next_contact or has_next_contact(locked):
            sync_next_contact_event(locked, now=now)
        # a lead's status follows its opportunities' statuses (crm.status): it is recomputed
        # when this one changed status or lead, not on every change of another field
        if locked.status != draft.original_status or locked.lead_id != old_lead_id:
            if old_lead_id is not None and old_lead_id != locked.lead_id:
                refresh_lead_status(Lead.objects.get(pk=old_lead_id))
            if locked.lead is not None:
                refresh_lead_status(locked.lead)
        apply_assignment_rules(locked, by=by, now=now)
        opportunity_changed(locked, event=UPDATED, old_status=draft.original_status)
    return locked


def declare_opportunity_lost(
    opportunity: Opportunity,
    *,
    lost_reasons: Sequence[str],
    competitors: Sequence[str] = (),
    detail: str | None = None,
    version: int | None = None,
    by: User,
) -> Opportunity:
    """Mark lost with at least one reason; reasons and competitors replace the old ones."""
    reasons, rivals = check_lost_reasons(lost_reasons, competitors)
    with transaction.atomic():
        locked = lock_document(Opportunity, opportunity.pk, expected_version=version, by=by)
        if not locked.can_declare_lost():
            raise ConflictError("A converted opportunity cannot be declared lost.")
        old_status = locked.status
        if quotation_probe().opportunity_quotations(locked).active:
            raise ConflictError(
                "Cannot declare as lost, because a quotation has been made. "
                "Declare the quotation lost or cancel it first."
            )
        if detail is not None:
            locked.order_lost_reason = detail
        write_status_change(locked, Opportunity.Status.LOST, by=by)
        save_document(locked, by=by)
        # django-stubs takes only int primary keys here; these masters are keyed by name.
        locked.lost_reasons.set(reasons)  # type: ignore[arg-type]
        locked.competitors.set(rivals)  # type: ignore[arg-type]
        summary = f"Declared lost: {', '.join(reasons)}"
        if rivals:
            summary += f"; competitors: {', '.join(rivals)}"
        if detail:
            summary += f". {detail}"
        add_comment(
            "Opportunity", locked.name, content=summary, by=by, comment_type=Comment.Type.INFO
        )
        if locked.lead is not None:
            refresh_lead_status(locked.lead)
        apply_assignment_rules(locked, by=by)
        opportunity_changed(locked, event=LOST, old_status=old_status)
    return locked


def reopen_opportunity(
    opportunity: Opportunity, *, version: int | None = None, by: User
) -> Opportunity:
    """Lost or Closed back to Open; the lost reasons, competitors and detail are cleared."""
    with transaction.atomic():
        locked = lock_document(Opportunity, opportunity.pk, expected_version=version, by=by)
        if not locked.can_reopen():
            raise ConflictError(
                f"Only a Lost or Closed opportunity can be reopened; this one is {locked.status}.",
                fields={"status": [f"is {locked.status}"]},
            )
        old_status = locked.status
        _reopen(locked, by=by)
        save_document(locked, by=by)
        if locked.lead is not None:
            refresh_lead_status(locked.lead)
        apply_assignment_rules(locked, by=by)
        opportunity_changed(locked, event=None, old_status=old_status)
    return locked


def set_opportunity_status(
    opportunity: Opportunity, *, status: str, version: int | None = None, by: User
) -> Opportunity:
    """A status chosen by hand (list bulk action, board), within the transition table."""
    return update_opportunity(opportunity, data={"status": status}, version=version, by=by)


def recompute_opportunity_status(
    opportunity: Opportunity, *, requested: str | None = None, by: User | None = None
) -> Opportunity:
    """Run the status engine after a quotation or order event (no version check: an effect)."""
    with transaction.atomic():
        locked = lock_document(Opportunity, opportunity.pk, expected_version=None, by=by)
        new_status, old_status = computed_opportunity_status(locked, requested), locked.status
        if write_status_change(locked, new_status, by=by):
            save_document(locked, by=by)
            apply_assignment_rules(locked, by=by)
            opportunity_changed(locked, event=None, old_status=old_status)
        if locked.lead is not None:
            refresh_lead_status(locked.lead)
    return locked


def delete_opportunity(opportunity: Opportunity, *, version: int | None, by: User) -> None:
    """Delete under the row lock (and ``version``, when the caller read one); an opportunity
    with an active or ordered quotation is closed instead (409)."""

    def no_quotations(locked: Opportunity) -> None:
        if quotation_probe().opportunity_quotations(locked).active:
            raise ConflictError(
                "An opportunity with quotations cannot be deleted; close it instead."
            )

    lead, name = opportunity.lead, opportunity.name
    with transaction.atomic():
        delete_document(
            Opportunity,
            opportunity,
            version=version,
            by=by,
            check=no_quotations,
            protected="Documents made from this opportunity still exist; close it instead.",
        )
        delete_document_events(reference_doctype=Opportunity.doctype, reference_name=name)
        if lead:
            refresh_lead_status(lead)


def add_opportunity_comment(opportunity: Opportunity, *, content: str, by: User) -> Comment:
    return add_document_comment(opportunity, content=content, by=by)


# --- helpers -------------------------------------------------------------------------------------
def check_lost_reasons(
    lost_reasons: Sequence[str], competitors: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The lost reasons (at least one) and competitors of a loss (an opportunity's or a
    quotation's), each an existing master, without repeats; else one 422 naming every problem."""
    errors = FieldErrors()
    reasons = _existing_names(
        OpportunityLostReason, "lost_reasons", "Lost Reason", lost_reasons, errors
    )
    if not reasons and "lost_reasons" not in errors.fields:
        errors.add("lost_reasons", "Give at least one lost reason.")
    rivals = _existing_names(Competitor, "competitors", "Competitor", competitors, errors)
    errors.raise_if_any()
    return reasons, rivals


def _existing_names(
    model: type[Model], field: str, label: str, names: Sequence[str], errors: FieldErrors
) -> list[str]:
    wanted = list(dict.fromkeys(n for n in names if n))
    found = set(model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
    for missing in [n for n in wanted if n not in found]:
        errors.add(field, f"{label} '{missing}' does not exist.")
    return wanted


def _reopen(opportunity: Opportunity, *, by: User) -> None:
    old = opportunity.status
    opportunity.order_lost_reason = ""
    opportunity.lost_reasons.clear()
    opportunity.competitors.clear()
    opportunity.status = Opportunity.Status.OPEN  # the engine may still say Quotation or Converted
    new = computed_opportunity_status(opportunity, Opportunity.Status.OPEN)
    opportunity.status = old
    write_status_change(opportunity, new, by=by)


def _change_status_by_hand(opportunity: Opportunity, new: str, old: str, *, by: User) -> None:
    if new not in Opportunity.Status.values:
        raise ValidationError.for_field("status", f"'{new}' is not a status.")
    if new == Opportunity.Status.LOST:
        raise ValidationError.for_field(
            "status", "Use Declare Lost to mark an opportunity lost: it needs a reason."
        )
    if new not in Opportunity.MANUAL_TRANSITIONS[old]:
        raise ValidationError.for_field("status", f"The status cannot go from {old} to {new}.")
    opportunity.status = old
    if (
        old in (Opportunity.Status.LOST, Opportunity.Status.CLOSED)
        and new == Opportunity.Status.OPEN
    ):
        _reopen(opportunity, by=by)
    else:
        write_status_change(opportunity, new, by=by)


def make_opportunity_from_lead(
    lead: Lead, *, by: User, data: Mapping[str, Any] | None = None
) -> Opportunity:
    """A new opportunity carrying the lead's details (ERPNext's lead.make_opportunity)."""
    return create_opportunity(data={**opportunity_values_from_lead(lead), **(data or {})}, by=by)


def opportunity_values_from_lead(lead: Lead) -> dict[str, Any]:
    """What an opportunity made from a lead starts with (the form shows the same values)."""
    return {
        "opportunity_from": "Lead",
        "party_name": lead.name,
        "source": lead.source_id or "",
        "campaign": lead.campaign_id or "",
        "territory": lead.territory_id or "",
        "opportunity_owner": lead.lead_owner.username if lead.lead_owner else None,
    }
