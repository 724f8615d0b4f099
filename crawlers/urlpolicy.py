"""Whether a URL may be fetched: scheme, allowed domains, and no private/loopback/link-local targets.

`decide_url` is a pure function (no DNS, no I/O) so the refusal rules are tested without sending
anything. Host names are resolved and their addresses checked before connecting by `crawlers.resolver`
(the addresses connected to are the checked ones); the downloader middleware also checks the address a
response actually came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

from policywatch.core import netpolicy


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


# The crawler's reason names (status records keep them); policywatch.core.netpolicy has finer kinds.
_REASON = {"unique_local": "private", "unspecified": "reserved", "multicast": "reserved"}


def classify_address(value: str) -> str | None:
    """'loopback', 'private', 'link_local' or 'reserved' for a non-public IP literal, else None
    (IPv4-mapped and other IPv6 spellings of IPv4 addresses count as the IPv4 address)."""
    kind = netpolicy.classify_address(value)
    return _REASON.get(kind, kind) if kind else None


def decide_url(url: str, allowed_domains: list[str], *, allow_loopback: bool = False,
               allow_private: bool = False) -> UrlDecision:
    """Decide whether the crawler may request `url` for a source with `allowed_domains`.

    Loopback targets are allowed only when `allow_loopback` is set (the test mirror); private,
    link-local and reserved addresses only for a source with `allow_private` (which allows loopback
    too). Host names are checked again after resolution, before connecting (`crawlers.resolver`).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return UrlDecision(False, "scheme")
    host, _ = _host_port(url)
    if not host:
        return UrlDecision(False, "bad_url")
    kind = classify_address(host)
    if kind is None and netpolicy.classify_host(host) == "loopback":  # localhost and *.localhost
        kind = "loopback"
    if kind == "loopback" and not (allow_loopback or allow_private):
        return UrlDecision(False, "loopback")
    if kind in ("private", "link_local", "reserved") and not allow_private:
        return UrlDecision(False, kind)
    if not host_allowed(url, allowed_domains):
        return UrlDecision(False, "offsite")
    return UrlDecision(True)


@lru_cache(maxsize=8192)  # a crawl asks for the same URL's canonical form several times (links, ids)
def canonical_url(url: str) -> str:
    """The URL that identifies a document: sorted query, no fragment, lower-case host."""
    return canonicalize_url(url, keep_fragments=False)
