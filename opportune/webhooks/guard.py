"""Where a webhook may send (SSRF guard): http or https to a host whose every address is public.
Private, loopback, link-local, multicast and reserved addresses are refused unless
``WEBHOOKS_ALLOW_PRIVATE`` is set. The host is resolved at registration and again at each send
(its DNS may have changed), and the connection goes to the address that was checked, never to a
second resolution of the name (DNS rebinding)."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(Exception):
    """The URL is not one a webhook may send to; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query
    address: str  # the checked IP address to connect to


def check_url_shape(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an absolute http(s) URL without credentials."""
    if len(url) > 2000 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeUrl("Give an http or https URL of at most 2,000 characters, without spaces.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("This is not a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("Give an absolute http or https URL.")
    if parts.username or parts.password:
        raise UnsafeUrl("Credentials in the URL are not accepted; the signature authenticates.")
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or default, path


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False):
        return not (ip.is_multicast or ip.is_unspecified)
    return ip.is_global and not ip.is_multicast


def resolve(url: str) -> Target:
    """The URL's parts and an address to send to, every address of the host checked."""
    scheme, host, port, path = check_url_shape(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host[:100]} cannot be resolved.") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeUrl(f"The host {host[:100]} cannot be resolved.")
    refused = [a for a in addresses if not _allowed(a)]
    if refused:
        raise UnsafeUrl(
            f"The host {host[:100]} is at a private, loopback or reserved address "
            f"({refused[0]}); webhooks go to public addresses only."
        )
    return Target(scheme, host, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name (SNI too), not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def connection(target: Target, *, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, timeout)
    return _PinnedHTTPConnection(target, timeout)
