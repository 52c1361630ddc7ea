"""``create_opportunity``'s bulk twin for an import's batch (core.imports, decision 0030).

Each row is refused or made as ``create_opportunity`` would: the same checks of its input
(``new_opportunity``) and the same validation pass (``OpportunityDraft``, with the batch's
links, parties, first contacts, items, UOMs and sales stages read ahead: a few queries per
batch instead of several per row), the same names from the series (one block), one ``+``
history record each, the item rows, the search entries; then, per opportunity in file order,
the same effects through the same functions: its next-contact event (only those that have
one), its lead's status (once per lead: the status does not depend on how many opportunities
it has), the lead's comments carried forward (when CRM Settings says so), the assignment
rules (only when Opportunity has an enabled rule, asked once) and the webhooks' outbox
(``opportunity_changed``: no query while none listens).

A batch holding a row whose party comes from its e-mail address (a lead may be made for it)
goes one row at a time through ``create_opportunity`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from opportune.automation.services import apply_assignment_rules, assignment_rules_apply
from opportune.core.company import company_settings
from opportune.core.drafts import insert_drafts
from opportune.core.errors import DomainError
from opportune.core.fields import ReadAhead, read_links_ahead, reading_ahead
from opportune.core.items import BatchCatalog, get_catalog
from opportune.crm.models import Contact, CRMSettings, Customer, Lead, Opportunity, SalesStage
from opportune.crm.next_contact import has_next_contact, sync_next_contact_event
from opportune.crm.services.carry_forward import carry_forward_from_lead
from opportune.crm.services.opportunities import (
    create_opportunity,
    needs_party_of_email,
    new_opportunity,
)
from opportune.crm.services.opportunity_draft import (
    DEFAULT_SALES_STAGE,
    FIELD_SPEC,
    FIRST_CONTACT,
    OpportunityDraft,
)
from opportune.crm.status import refresh_lead_status
from opportune.crm.webhooks import CREATED, opportunity_changed

if TYPE_CHECKING:
    from opportune.core.users import User


class _Rollback(Exception):
    pass


def _read_parties_ahead(cache: ReadAhead, rows: Sequence[Mapping[str, Any]]) -> None:
    """The parties the rows name (one query per kind) and their first contacts (one query)."""
    names: dict[str, set[Any]] = {"Lead": set(), "Customer": set()}
    for data in rows:
        kind, name = data.get("opportunity_from"), data.get("party_name")
        if kind in names and name:
            names[kind].add(name)
    cache.read(Lead, names["Lead"])
    cache.read(Customer, names["Customer"])
    cache.read(SalesStage, [DEFAULT_SALES_STAGE, *(data.get("sales_stage") for data in rows)])
    first: dict[tuple[str, Any], Contact | None] = {
        (kind, name): None for kind, wanted in names.items() for name in wanted
    }
    for kind, wanted in names.items():
        if not wanted:
            continue
        contacts = Contact.objects.filter(link_doctype=kind, link_name__in=wanted).order_by(
            "-is_primary_contact", "creation"
        )
        for contact in contacts:
            if first[(kind, contact.link_name)] is None:
                first[(kind, contact.link_name)] = contact
    cache.lookups[FIRST_CONTACT] = first


def create_opportunities(
    rows: Sequence[Mapping[str, Any]], *, by: User, write: bool = True
) -> list[Opportunity | DomainError]:
    """Many new opportunities at once (an import's batch), each refused or made as
    ``create_opportunity`` would (see the module). Without ``write`` nothing is written (a dry
    run: each row checked against the database alone, as a create rolled back would be; no
    row's check depends on another's). Answers, per row, the opportunity or why it was refused.
    """
    if any(needs_party_of_email(data) for data in rows):
        return _one_by_one(rows, by=by, write=write)
    now = timezone.now()
    settings = company_settings()
    catalog = BatchCatalog(get_catalog(), rows)
    outcome: list[Opportunity | DomainError] = []
    drafts: dict[int, OpportunityDraft] = {}
    with reading_ahead() as cache:
        read_links_ahead(cache, FIELD_SPEC, rows)
        _read_parties_ahead(cache, rows)
        for data in rows:
            try:
                opportunity = new_opportunity(data, now=now)
                draft = OpportunityDraft(
                    opportunity, data, creating=True, now=now, settings=settings
                )
                draft.catalog = catalog
                draft.apply()
            except DomainError as exc:
                outcome.append(exc)
                continue
            drafts[id(opportunity)] = draft
            outcome.append(opportunity)
    if not write:
        return outcome
    made = [o for o in outcome if isinstance(o, Opportunity)]
    insert_drafts([drafts[id(opportunity)] for opportunity in made], by=by, now=now)
    _effects(made, by=by, now=now)
    return outcome


def _effects(made: Sequence[Opportunity], *, by: User, now: datetime) -> None:
    """What ``create_opportunity`` does after its save, per opportunity in file order."""
    carry = CRMSettings.current().carry_forward_communication_and_comments
    rules = assignment_rules_apply("Opportunity")
    leads_done: set[str] = set()
    for opportunity in made:
        if has_next_contact(opportunity):
            sync_next_contact_event(opportunity, now=now)
        lead = opportunity.lead
        if lead is not None:
            if lead.pk not in leads_done:  # the same status for its 1st or nth opportunity
                leads_done.add(lead.pk)
                refresh_lead_status(lead)
            if carry:
                carry_forward_from_lead(lead, opportunity, by=by)
        if rules:
            apply_assignment_rules(opportunity, by=by, now=now)
        opportunity_changed(opportunity, event=CREATED, old_status=opportunity.status)


def _one_by_one(
    rows: Sequence[Mapping[str, Any]], *, by: User, write: bool
) -> list[Opportunity | DomainError]:
    """Each row through ``create_opportunity`` in a savepoint (rolled back in a dry run)."""
    outcome: list[Opportunity | DomainError] = []
    for data in rows:
        try:
            with transaction.atomic():
                outcome.append(create_opportunity(data=dict(data), by=by))
                if not write:
                    raise _Rollback
        except _Rollback:
            pass
        except DomainError as exc:
            outcome.append(exc)
    return outcome
