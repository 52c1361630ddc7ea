"""``create_quotation``'s bulk twin for an import's batch (core.imports, decision 0030).

Each row is refused or made as ``create_quotation`` would: the same validation pass
(``core.drafts.new_draft`` with ``QuotationDraft``: known fields, party, contact, validity,
currency and rate, item rows, totals and taxes, the model's field checks), with the batch's
links, parties and contacts read ahead and a ``BatchCatalog`` (the items and UOMs every row
names in one query each, a currency's precision and an exchange rate asked once): a few
queries per batch instead of several per row. Then the writes as their saves make them
(``core.drafts.insert_drafts``): names from the series in one block, one ``+`` history record
each, the search entries, the item rows. A new quotation (a draft) has no other effect: no
timeline line, no webhook event (those come with its submission), no status of its
opportunity or lead to move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from opportune.core.company import company_settings
from opportune.core.drafts import insert_drafts, new_draft
from opportune.core.errors import DomainError
from opportune.core.fields import read_links_ahead, reading_ahead
from opportune.core.items import BatchCatalog, get_catalog
from opportune.crm.models import Customer, Lead
from opportune.selling.models import Quotation
from opportune.selling.services.quotations import QUOTATION_SPEC, QuotationDraft

if TYPE_CHECKING:
    from opportune.core.users import User


def create_quotations(
    rows: Sequence[Mapping[str, Any]], *, by: User, write: bool = True
) -> list[Quotation | DomainError]:
    """Many new draft quotations at once (an import's batch), each refused or made as
    ``create_quotation`` would (see the module). Without ``write`` nothing is written (a dry
    run: each row checked against the database alone; no row's check depends on another's).
    Answers, per row, the quotation or why it was refused."""
    now = timezone.now()
    settings = company_settings()
    catalog = BatchCatalog(get_catalog(), rows)
    outcome: list[Quotation | DomainError] = []
    drafts: list[QuotationDraft] = []
    with reading_ahead() as cache:
        read_links_ahead(cache, QUOTATION_SPEC, rows)
        parties: dict[str, set[str]] = {"Lead": set(), "Customer": set()}
        for data in rows:
            kind, name = data.get("quotation_to"), data.get("party_name")
            if isinstance(kind, str) and kind in parties and isinstance(name, str) and name:
                parties[kind].add(name)
        cache.read(Lead, parties["Lead"])
        cache.read(Customer, parties["Customer"])
        for data in rows:
            try:
                draft = new_draft(QuotationDraft, data, now=now, catalog=catalog, settings=settings)
            except DomainError as exc:
                outcome.append(exc)
                continue
            drafts.append(draft)
            outcome.append(draft.doc)
    if write and drafts:
        insert_drafts(drafts, by=by, now=now)
    return outcome
