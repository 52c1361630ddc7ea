"""Raw MIME in, plain values out: the stdlib ``email`` package (policy=default: RFC 2047 headers
decoded, quoted-printable and base64 undone, charsets applied), with the bodies chosen from
multipart/alternative and /mixed, the attachments collected, the HTML sanitised with nh3 (no
script, no style, no remote image: an ``img`` keeps only a ``cid:`` or ``data:`` source), the
quoted history of a reply split off for folding, and auto-replies and bounces recognised."""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

import nh3

MAX_HEADER = 990


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass
class ParsedMessage:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender: str
    sender_name: str
    to: list[str]
    cc: list[str]
    delivered_to: list[str]
    date: datetime | None
    text: str
    html: str  # sanitised, the new part only
    html_quoted: str  # sanitised, the quoted history
    attachments: list[Attachment] = field(default_factory=list)
    is_automatic: bool = False


# --- headers ------------------------------------------------------------------------------------
MSGID = re.compile(r"<[^<>\s]+>")


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse: its raw text
        value = message.get_all(name, [""])[0] if hasattr(message, "get_all") else ""
    return " ".join(str(value or "").split())


def _msgids(value: str) -> list[str]:
    return [m[:MAX_HEADER] for m in MSGID.findall(value or "")]


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    raw = [str(v) for name in names for v in (message.get_all(name) or [])]
    found = []
    for display, address in getaddresses(raw):
        address = address.strip().strip("<>")
        if "@" in address:
            found.append((display.strip(), address[:320]))
    return found


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def _raw_headers(message: Message) -> dict[str, str]:
    """The first value of each header as it came (no parsing: the policy's header objects are
    what ingestion spends most on, and ids and flags need none)."""
    raw: dict[str, str] = {}
    for name, value in message.raw_items():
        raw.setdefault(name.lower(), " ".join(str(value).split()))
    return raw


def is_automatic(message: Message, raw: dict[str, str], sender: str) -> bool:
    """An auto-reply (RFC 3834 Auto-Submitted, X-Autoreply, X-Autorespond, Precedence
    auto_reply) or a bounce (multipart/report, a mailer daemon): kept, not the party's word."""
    auto_submitted = raw.get("auto-submitted", "").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if "x-autoreply" in raw or "x-autorespond" in raw:
        return True
    if raw.get("precedence", "").lower() in ("auto_reply", "auto-reply"):
        return True
    if message.get_content_type() == "multipart/report":
        return True
    return sender.split("@", 1)[0].lower() in ("mailer-daemon", "postmaster")


# --- bodies and attachments ---------------------------------------------------------------------
def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    text = None
    for candidate in (charset, "utf-8", "windows-1252"):
        try:
            text = payload.decode(candidate)
            break
        except (LookupError, UnicodeDecodeError):
            continue
    if text is None:
        text = payload.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = re.sub(r"[\x00-\x1f/\\]", "_", str(name)).strip()
    # no path parts at all: "..", "." or a hidden file's leading dots are not a file name here
    return name.lstrip(".").strip()[-200:]


def _walk(part: Message, bodies: dict[str, str], attachments: list[Attachment]) -> None:
    ctype = part.get_content_type()
    if part.is_multipart():
        if ctype == "message/rfc822":
            inner = part.get_payload()
            data = (
                inner[0].as_bytes()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message)
                else b""
            )
            attachments.append(Attachment("forwarded.eml", ctype, data))
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                bodies.setdefault("original", _header(inner[0], "Message-ID"))
            return
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _walk(sub, bodies, attachments)
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part) if disposition or not ctype.startswith("text/") else ""
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        key = "plain" if ctype == "text/plain" else "html"
        if key not in bodies:
            bodies[key] = _text_of(part)
        return
    if ctype == "text/rfc822-headers":
        bodies.setdefault("original", _text_of(part))
        return
    if ctype in ("message/delivery-status", "message/disposition-notification"):
        bodies.setdefault("status", _text_of(part))
        return
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    content_id = _header(part, "Content-ID").strip("<>")[:250]
    extension = ctype.split("/")[-1][:10]
    attachments.append(
        Attachment(filename or f"attachment.{extension}", ctype[:255], data, content_id)
    )


# --- HTML ---------------------------------------------------------------------------------------
QUOTE_MARKERS_HTML = re.compile(
    r"<div[^>]*class=[\"']?[^\"'>]*gmail_quote"
    r"|<blockquote[^>]*type=[\"']?cite"
    r"|<div[^>]*class=[\"']?[^\"'>]*moz-cite-prefix"
    r"|<div[^>]*id=[\"']?(?:divRplyFwdMsg|appendonsend)"
    r"|<hr[^>]*id=[\"']?stopSpelling"
    r"|-----\s*Original Message\s*-----",
    re.IGNORECASE,
)
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        # A remote image tells the sender the mail was read: only inline parts are kept.
        return value if value.startswith(("cid:", "data:image/")) else None
    return value


def sanitise_html(html: str) -> str:
    if not html.strip():
        return ""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_keep_attribute,
        strip_comments=True,
    ).strip()


def split_quoted_html(html: str) -> tuple[str, str]:
    """(the new text, the quoted history) of an HTML reply, at the first marker the common
    clients leave (Gmail, Outlook, Apple Mail, Thunderbird)."""
    found = QUOTE_MARKERS_HTML.search(html)
    if found is None or found.start() == 0:
        return html, ""
    return html[: found.start()], html[found.start() :]


BLOCK_END = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d|/blockquote)\b[^>]*>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    text = nh3.clean(BLOCK_END.sub("\n", html), tags=set())
    text = html_lib.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- quoted text --------------------------------------------------------------------------------
QUOTE_START_TEXT = re.compile(
    r"^(On\b.{0,200}\bwrote:\s*$"
    r"|Le\b.{0,200}\ba écrit\s*:\s*$"
    r"|Am\b.{0,200}\bschrieb.{0,60}:\s*$"
    r"|-{2,}\s*Original Message\s*-{2,}"
    r"|-{2,}\s*Forwarded message\s*-{2,}"
    r"|_{10,}\s*$"
    r"|From:\s.+$"
    r"|>)",
    re.IGNORECASE,
)


def split_quoted_text(text: str) -> tuple[str, str]:
    """(the new text, the quoted history) of a plain-text reply."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index and QUOTE_START_TEXT.match(line.strip()):
            return "\n".join(lines[:index]).rstrip(), "\n".join(lines[index:])
    return text, ""


# --- the whole message --------------------------------------------------------------------------
def _original_ids(headers: str) -> list[str]:
    found = re.search(r"^Message-ID:\s*(<[^<>\s]+>)", headers, re.IGNORECASE | re.MULTILINE)
    if found:
        return [found.group(1)]
    return _msgids(headers)[:1]


# policy.default with every header read as unstructured text (RFC 2047 still decoded): the
# structured header classes (addresses, parameters) cost most of the parsing, and the values
# are split here (getaddresses, the message's own parameter parsing) the way they are needed.
POLICY = policy.default.clone(header_factory=HeaderRegistry(use_default_map=False))


def synthetic_message_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.opportune>"


def parse_message(raw: bytes) -> ParsedMessage:
    message = message_from_bytes(raw, policy=POLICY)
    headers = _raw_headers(message)
    message_ids = _msgids(headers.get("message-id", ""))
    bodies: dict[str, str] = {}
    attachments: list[Attachment] = []
    _walk(message, bodies, attachments)
    html_raw = bodies.get("html", "")
    main_html, quoted_html = split_quoted_html(html_raw)
    text = bodies.get("plain") or html_to_text(html_raw) or bodies.get("status", "")
    senders = _addresses(message, "From") or _addresses(message, "Sender", "Return-Path")
    name, address = senders[0] if senders else ("", "")
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else synthetic_message_id(raw),
        in_reply_to=_msgids(headers.get("in-reply-to", "")),
        # A bounce names the message it returns: it threads where that one went.
        references=_msgids(headers.get("references", ""))
        + (
            _original_ids(bodies.get("original", ""))
            if message.get_content_type() == "multipart/report"
            else []
        ),
        subject=_header(message, "Subject")[:MAX_HEADER],
        sender=address.lower(),
        sender_name=name[:255],
        to=[a for _n, a in _addresses(message, "To")],
        cc=[a for _n, a in _addresses(message, "Cc")],
        delivered_to=[
            a.strip().strip("<>")
            for name in ("delivered-to", "x-original-to", "envelope-to")
            for a in headers.get(name, "").split(",")
            if "@" in a
        ],
        date=_date(headers.get("date", "")),
        text=text.replace("\x00", "").strip(),
        html=sanitise_html(main_html),
        html_quoted=sanitise_html(quoted_html),
        attachments=attachments,
        is_automatic=is_automatic(message, headers, address),
    )


def format_address(address: str, name: str = "") -> str:
    return str(Address(display_name=name, addr_spec=address)) if name else address


__all__ = ["EmailMessage", "ParsedMessage", "parse_message"]
