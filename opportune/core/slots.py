"""Where a page of a lower app shows what higher apps contribute, without importing them.

A higher app registers, in its ``AppConfig.ready()``, functions that answer for one user (and one
document): the links of the main navigation, the actions offered on a document's page ("Make
Quotation"), and the documents made from a document. Core's templates render what they answer
(``{% nav_links %}``, ``{% document_actions doc %}``, ``{% linked_documents doc %}``), so the
dependency is visible in Python, where the layering check sees it.
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


NavProvider = Callable[[Any], Sequence[NavLink]]
ActionProvider = Callable[[Any, Any], Sequence[Action]]
DocumentsProvider = Callable[[Any, Any], LinkedDocuments]

_nav: list[NavProvider] = []
_actions: dict[str, list[ActionProvider]] = {}
_documents: dict[str, list[DocumentsProvider]] = {}


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


def nav_links_for(user: AnyUser | None) -> list[NavLink]:
    return sorted((link for p in _nav for link in p(user)), key=lambda link: link.order)


def actions_for(user: AnyUser | None, document: Any) -> list[Action]:
    providers = _actions.get(document.doctype, ())
    return sorted((a for p in providers for a in p(user, document)), key=lambda a: a.order)


def linked_documents_for(user: AnyUser | None, document: Any) -> LinkedDocuments:
    answers = [p(user, document) for p in _documents.get(document.doctype, ())]
    rows = sorted((r for a in answers for r in a.rows), key=lambda r: r.order)
    return LinkedDocuments(rows=rows, links=[link for a in answers for link in a.links])
