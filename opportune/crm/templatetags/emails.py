"""``{% emails_card document can_write %}``: the emails of an opportunity or a lead (comms), the
thread oldest first: queued ones marked, quoted history folded, HTML as sanitised at intake."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from opportune.comms.parsing import split_quoted_text
from opportune.comms.services import thread_of

register = template.Library()
COMPOSE = {"Opportunity": "crm:opportunity_email", "Lead": "crm:lead_email"}


@register.inclusion_tag("crm/_emails_card.html")
def emails_card(document: Any, can_write: bool) -> dict[str, Any]:
    entries = []
    for communication in thread_of(document.doctype, document.pk):
        text, quoted_text = split_quoted_text(communication.text_content)
        entries.append(
            {
                "c": communication,
                "text": text,
                "quoted_text": quoted_text,
                "has_quote": bool(communication.html_quoted or quoted_text),
            }
        )
    return {
        "entries": entries,
        "can_write": can_write,
        "compose_url": reverse(COMPOSE[document.doctype], args=[document.pk]),
    }
