"""The opportunity list's rows, built in Python: a page shows fifty, and a template per row
(its variables, filters, includes and links) cost most of the page (issue 12: the list page's
p95 under 30 ms). The markup is the row the list's template had; keep it accessible and alike."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from opportune.activities.templatetags.activity_tags import request_today, state_badge_html
from opportune.core.templatetags.opportune import money, tone

register = template.Library()

_DASH = "\u2014"


def _badges(opp: Any) -> SafeString:
    """The stale and awaiting-reply badges after the status."""
    parts = []
    days = getattr(opp, "stale_days", None)
    if days is not None:
        parts.append(
            format_html(
                ' <span class="badge badge-stale" title="Not changed for {} day{}: longer than'
                ' its stage allows">Stale {} d</span>',
                days,
                pluralize(days),
                days,
            )
        )
    if getattr(opp, "response_overdue", False):
        parts.append(
            mark_safe(
                ' <span class="badge badge-red" title="Open and not answered yet, for longer than'
                ' the first-response target (business minutes)">Awaiting reply</span>'
            )
        )
    return mark_safe("".join(parts))  # each part built by format_html, or constant


@register.simple_tag(takes_context=True)
def opportunity_row(context: template.Context, opp: Any, can_write: bool) -> SafeString:
    """One ``<tr>`` of the opportunity list."""
    href = reverse("crm:opportunity_detail", args=[opp.name])
    check = (
        format_html(
            '<td class="check-col"><input type="checkbox" name="selected" value="{}@{}"'
            ' aria-label="Select {}"></td>',
            opp.name,
            opp.version,
            opp.name,
        )
        if can_write
        else ""
    )
    owner = opp.opportunity_owner.username if opp.opportunity_owner_id else ""
    precision = opp.currency.precision if opp.currency_id else 2
    # strftime, not the date filter: the same digits (no names of days or months), a tenth the cost
    closing = opp.expected_closing.strftime("%Y-%m-%d") if opp.expected_closing else ""
    modified = timezone.localtime(opp.modified).strftime("%Y-%m-%d %H:%M") if opp.modified else ""
    return format_html(
        "<tr>{}"
        '<td class="hide-sm nowrap"><a href="{}">{}</a></td>'
        '<td class="title"><a href="{}">{}</a></td>'
        '<td class="hide-sm"><span class="muted small">{}</span> {}</td>'
        '<td><span class="badge badge-{}">{}</span>{} {}</td>'
        '<td class="hide-sm">{}</td>'
        '<td class="hide-sm">{}</td>'
        '<td class="num">{} {}</td>'
        '<td class="hide-sm nowrap">{}</td>'
        '<td class="hide-sm nowrap muted">{}</td>'
        "</tr>",
        check,
        href,
        opp.name,
        href,
        opp.title or opp.name,
        opp.opportunity_from,
        opp.customer_name or opp.party_name,
        tone(opp.status),
        opp.status,
        _badges(opp),
        state_badge_html(getattr(opp, "next_activity_due", None), request_today(context)),
        opp.sales_stage_id or _DASH,
        owner or _DASH,
        opp.currency_id,
        money(opp.opportunity_amount, precision),
        closing or _DASH,
        modified,
    )
