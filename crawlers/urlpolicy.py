"""Whether a URL may be fetched: scheme, allowed domains, and no private/loopback/link-local targets.

`decide_url` is a pure function (no DNS, no I/O) so the refusal rules are tested without sending
anything; the downloader middleware also checks the address a response actually came from.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


@dataclass(frozen=True)
class UrlDecision:
    allowed: bool
    reason: str = "ok"  # ok | scheme | offsite | loopback | private | link_local | reserved | bad_url


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    return host, port


def host_allowed(url: str, allowed_domains: list[str]) -> bool:
    """True when the URL's host is an allowed domain or a subdomain of one.

    An entry with a port (`127.0.0.1:8081`) matches that host and port only, which lets the loopback
    test mirror run several sites on one address.
    """
    host, port = _host_port(url)
    if not host:
        return False
    scheme_port = port or (443 if urlsplit(url).scheme == "https" else 80)
    for entry in allowed_domains:
        entry_host, _, entry_port = entry.partition(":")
        if entry_port:
            if host == entry_host and str(scheme_port) == entry_port:
                return True
        elif host == entry_host or host.endswith("." + entry_host):
            return True
    return False


def classify_address(value: str) -> str | None:
    """'loopback', 'private', 'link_local' or 'reserved' for a non-public IP literal, else None."""
    try:
        addr = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr.is_unspecified:
        return "reserved"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link_local"
    if addr.is_private or (isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT):
        return "private"
    if addr.is_multicast or addr.is_reserved or addr.is_unspecified:
        return "reserved"
    return None


_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def decide_url(url: str, allowed_domains: list[str], *, allow_loopback: bool = False) -> UrlDecision:
    """Decide whether the crawler may request `url` for a source with `allowed_domains`.

    Loopback targets are allowed only when `allow_loopback` is set (the test mirror); private,
    link-local and reserved addresses are always refused.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return UrlDecision(False, "scheme")
    host, _ = _host_port(url)
    if not host:
        return UrlDecision(False, "bad_url")
    kind = classify_address(host)
    if kind is None and host in _LOCAL_NAMES:
        kind = "loopback"
    if kind == "loopback" and not allow_loopback:
        return UrlDecision(False, "loopback")
    if kind in ("private", "link_local", "reserved"):
        return UrlDecision(False, kind)
    if not host_allowed(url, allowed_domains):
        return UrlDecision(False, "offsite")
    return UrlDecision(True)


def canonical_url(url: str) -> str:
    """The URL that identifies a document: sorted query, no fragment, lower-case host."""
    return canonicalize_url(url, keep_fragments=False)
