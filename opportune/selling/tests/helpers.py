"""Helpers of the selling tests: snapshots that prove a refused request changed nothing, and
a quick path to a submitted quotation."""

from __future__ import annotations

from django.forms.models import model_to_dict

from opportune.core.models import Comment
from opportune.crm.models import Customer, Lead, Opportunity
from opportune.selling import services
from opportune.selling.models import Quotation, QuotationItem, SalesOrder, SalesOrderItem


def document_state(model, name: str) -> dict:
    """Every stored value of one document and its item rows."""
    doc = model.objects.get(pk=name)
    row = model_to_dict(doc, exclude=["lost_reasons", "competitors"])
    row.update(
        version=doc.version,
        modified=doc.modified,
        status=doc.status,
        items=[model_to_dict(i) for i in doc.items.order_by("idx")],
    )
    if hasattr(doc, "lost_reasons"):
        row["lost_reasons"] = sorted(doc.lost_reasons.values_list("pk", flat=True))
    return row


def selling_counts() -> dict[str, int]:
    models = (Quotation, QuotationItem, SalesOrder, SalesOrderItem, Customer, Comment)
    return {m.__name__: m.objects.count() for m in models}


def world_state(*names: tuple) -> dict:
    """Counts plus the state of the named documents and of every opportunity and lead status."""
    state: dict[str, object] = {"counts": selling_counts()}
    for model, name in names:
        state[name] = document_state(model, name)
    state["opportunities"] = dict(Opportunity.objects.values_list("name", "status"))
    state["leads"] = dict(Lead.objects.values_list("name", "status"))
    return state


def submitted_quotation(opportunity: Opportunity, by) -> Quotation:
    quotation = services.make_quotation_from_opportunity(opportunity, by=by)
    return services.submit_quotation(quotation, by=by)
