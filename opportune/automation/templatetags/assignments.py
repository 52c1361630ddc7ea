"""``{% assignments_card document can_write %}``: a document's assignments (who has it, why,
by which rule) with the Assign to form and the Close / Cancel buttons."""

from __future__ import annotations

from typing import Any

from django import template

from opportune.accounts.roles import sales_users
from opportune.automation.models import Assignment

register = template.Library()


@register.inclusion_tag("automation/_assignments.html", takes_context=True)
def assignments_card(context: Any, document: Any, can_write: bool) -> dict[str, Any]:
    rows = (
        Assignment.objects.filter(reference_type=document.doctype, reference_name=document.pk)
        .exclude(status=Assignment.Status.CANCELLED)
        .select_related("allocated_to")
        .order_by("-id")[:20]
    )
    return {
        "document": document,
        "rows": rows,
        "can_write": can_write,
        "users": sales_users() if can_write else [],
        "csrf_token": context.get("csrf_token"),
        "here": context["request"].get_full_path(),
    }
