"""Where a page of a lower app shows what higher apps contribute, without importing them.

A higher app registers, in its ``AppConfig.ready()``, functions that answer for one user (and one
document): the links of the main navigation, the actions offered on a document's page ("Make
Quotation"), and the documents made from a document; and sections, a template of its own with the
function that fills it for a request, for the header of every page (the notifications' bell) and
for the profile page (the email choices). Core's templates render what they answer
(``{% nav_links %}``, ``{% document_actions doc %}``, ``{% linked_documents doc %}``,
``{% header_sections %}``, ``{% profile_sections %}``), so the dependency is visible in Python,
where the layering check sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opportune.core.users import AnyUser


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    prefixes: tuple[str, ...]  # the paths under which this link is the current one
    order: int = 100


@dataclass(frozen=True)
class Action:
    """A button on a document's page: a POST form (``method="post"``) or a link."""

    label: str
    url: str
    method: str = "post"
    order: int = 100


@dataclass(frozen=True)
class LinkedDocument:
    """One document made from another, as a row of the "Documents" card."""

    doctype: str
    name: str
    url: str
    party: str
    status: str
    currency: str = ""
    grand_total: Decimal | None = None
    precision: int = 2
    order: int = 100


@dataclass(frozen=True)
class LinkedDocuments:
    rows: Sequence[LinkedDocument] = ()
    links: Sequence[Action] = field(default_factory=tuple)  # e.g. "Compare supplier quotations"


@dataclass(frozen=True)
class Section:
    """A part of a lower app's page filled by a higher app: its own template, and the function
    that answers the template's context for the request (None: not shown)."""

    key: str
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


NavProvider = Callable[[Any], Sequence[NavLink]]
ActionProvider = Callable[[Any, Any], Sequence[Action]]
DocumentsProvider = Callable[[Any, Any], LinkedDocuments]

_nav: list[NavProvider] = []
_actions: dict[str, list[ActionProvider]] = {}
_documents: dict[str, list[DocumentsProvider]] = {}
_header_sections: dict[str, Section] = {}
_profile_sections: dict[str, Section] = {}


def register_nav_links(provider: NavProvider) -> None:
    if provider not in _nav:
        _nav.append(provider)


def register_document_actions(doctype: str, provider: ActionProvider) -> None:
    providers = _actions.setdefault(doctype, [])
    if provider not in providers:
        providers.append(provider)


def register_linked_documents(doctype: str, provider: DocumentsProvider) -> None:
    providers = _documents.setdefault(doctype, [])
    if provider not in providers:
        providers.append(provider)


def register_header_section(section: Section) -> None:
    """In the header of every page, for a signed-in user (before the profile link)."""
    _header_sections[section.key] = section


def register_profile_section(section: Section) -> None:
    """On the profile page, below the API tokens."""
    _profile_sections[section.key] = section


def header_sections() -> list[Section]:
    return sorted(_header_sections.values(), key=lambda s: (s.order, s.key))


def profile_sections() -> list[Section]:
    return sorted(_profile_sections.values(), key=lambda s: (s.order, s.key))


def nav_links_for(user: AnyUser | None) -> list[NavLink]:
    return sorted((link for p in _nav for link in p(user)), key=lambda link: link.order)


def actions_for(user: AnyUser | None, document: Any) -> list[Action]:
    providers = _actions.get(document.doctype, ())
    return sorted((a for p in providers for a in p(user, document)), key=lambda a: a.order)


def linked_documents_for(user: AnyUser | None, document: Any) -> LinkedDocuments:
    answers = [p(user, document) for p in _documents.get(document.doctype, ())]
    rows = sorted((r for a in answers for r in a.rows), key=lambda r: r.order)
    return LinkedDocuments(rows=rows, links=[link for a in answers for link in a.links])
