"""Template helpers every page uses: money, percentages, status colours, active navigation."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.template import Context
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from opportune.core import saved_views_pages, slots
from opportune.core.money import round_money

register = template.Library()

STATUS_TONES = {
    "Open": "blue",
    "Replied": "purple",
    "Quotation": "green",
    "Converted": "teal",
    "Closed": "grey",
    "Lost": "red",
    "Lead": "blue",
    "Opportunity": "green",
    "Interested": "purple",
    "Do Not Contact": "red",
    "Lost Quotation": "red",
}


@register.filter
def money(value: Any, precision: Any = 2) -> str:
    """``1234.5|money:2`` -> ``1,234.50`` (Decimal in, text out; never float)."""
    if value in (None, ""):
        return ""
    try:
        number = round_money(Decimal(str(value)), int(precision))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    return f"{number:,}"


@register.filter
def percent(value: Any) -> str:
    if value in (None, ""):
        return ""
    return f"{Decimal(str(value)).normalize():f}%"


@register.filter
def tone(status: Any) -> str:
    """The colour name of a status badge."""
    return STATUS_TONES.get(str(status), "grey")


@register.simple_tag
def options(choices: Any, selected: Any = ()) -> SafeString:
    """The ``<option>``s of ``choices`` (values, or (value, label) pairs), those among
    ``selected`` (a list; anything else selects nothing) selected. One tag, not a template loop
    per option: a filter form's selects are most of a list page's rendering (issue 12)."""
    chosen = {str(value) for value in selected} if isinstance(selected, list | tuple) else set()
    parts = []
    for choice in choices:
        value, label = choice if isinstance(choice, list | tuple) else (choice, choice)
        mark = " selected" if str(value) in chosen else ""
        parts.append(
            f'<option value="{conditional_escape(value)}"{mark}>{conditional_escape(label)}</option>'
        )
    return mark_safe("".join(parts))  # every value and label escaped above


@register.simple_tag(takes_context=True)
def nav_current(context: Context, *prefixes: str) -> str:
    """``aria-current="page"`` when the request path starts with one of ``prefixes``."""
    request = context.get("request")
    path = request.path if request else ""
    for prefix in prefixes:
        if (prefix == "/" and path == "/") or (prefix != "/" and path.startswith(prefix)):
            return mark_safe('aria-current="page"')
    return ""


@register.inclusion_tag("core/_saved_views.html", takes_context=True)
def saved_views_bar(context: Context, resource: str) -> dict[str, Any]:
    """The saved views bar of a list or the board (``resource``: core.saved_views.RESOURCES)."""
    return {
        **saved_views_pages.bar_context(context["request"], resource),
        "csrf_token": context.get("csrf_token"),
    }


# --- slots: what higher apps contribute to a page (core.slots) ---------------------------------
@register.inclusion_tag("core/_nav_links.html", takes_context=True)
def nav_links(context: Context) -> dict[str, Any]:
    """The navigation entries the apps registered, for this user, the current one marked."""
    request = context.get("request")
    path = request.path if request else ""
    links = [
        (link, any(path.startswith(prefix) for prefix in link.prefixes))
        for link in slots.nav_links_for(context.get("user"))
    ]
    return {"links": links}


@register.inclusion_tag("core/_document_actions.html", takes_context=True)
def document_actions(context: Context, document: Any) -> dict[str, Any]:
    """The actions the apps offer on a document's page ("Make Quotation"), for this user."""
    return {
        "actions": slots.actions_for(context.get("user"), document),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("core/_linked_documents.html", takes_context=True)
def linked_documents(context: Context, document: Any) -> dict[str, Any]:
    """The documents made from ``document`` that this user may see (the "Documents" card)."""
    return {"documents": slots.linked_documents_for(context.get("user"), document)}


def _render_sections(context: Context, sections: list[slots.Section]) -> SafeString:
    request = context.get("request")
    parts = []
    for section in sections:
        filled = section.context(request)
        if filled is not None:
            parts.append(conditional_escape(render_to_string(section.template, filled, request)))
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def header_sections(context: Context) -> SafeString:
    """What the apps show in the header of every page (the notifications' bell)."""
    return _render_sections(context, slots.header_sections())


@register.simple_tag(takes_context=True)
def profile_sections(context: Context) -> SafeString:
    """What the apps add to the profile page (the notifications' email choices)."""
    return _render_sections(context, slots.profile_sections())
