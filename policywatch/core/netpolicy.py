"""Which network addresses outbound requests (webhooks, crawls) may connect to.

A target is refused when any address its host resolves to is not public: loopback, private (RFC 1918,
CGNAT), link-local (169.254/16, fe80::/10: cloud metadata lives there), unique-local (fc00::/7),
unspecified (0.0.0.0, ::), multicast or reserved, including the IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
and NAT64 (64:ff9b::/96) spellings of such IPv4 addresses. Callers connect to the addresses returned by
`resolve_checked`, never resolve again, so a DNS answer that changes between check and connect (DNS
rebinding) cannot reach an address that was not checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection

from policywatch.core.errors import PolicywatchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Every kind `classify_address` can return; callers allow a subset of them.
NON_PUBLIC = frozenset({"loopback", "private", "link_local", "unique_local", "unspecified", "multicast",
                        "reserved"})

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

Resolver = Callable[[str, int], list[str]]


class AddressRefused(PolicywatchError):
    """A target whose address is not public (and not allowed); `kind` says which class it fell in."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 spelling carries (mapped, compatible, NAT64), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    # ::a.b.c.d (deprecated "IPv4-compatible"); :: and ::1 are themselves unspecified / loopback.
    if int(addr) >> 32 == 0 and int(addr) > 1:
        return ipaddress.IPv4Address(int(addr))
    return None


def parse_address(value: str) -> IPAddress | None:
    """The IP address a host string spells (brackets and an IPv6 zone id allowed), else None."""
    text = value.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def classify_address(value: str | IPAddress) -> str | None:
    """The kind of a non-public address ('loopback', 'private', 'link_local', 'unique_local', 'unspecified',
    'multicast', 'reserved'), None for a public one or for a string that is not an IP address."""
    addr = parse_address(value) if isinstance(value, str) else value
    if addr is None:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            return classify_address(embedded)
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link_local"
    if isinstance(addr, ipaddress.IPv6Address) and addr in _UNIQUE_LOCAL:
        return "unique_local"
    if addr.is_multicast:
        return "multicast"
    if addr.is_reserved:
        return "reserved"
    if addr.is_private or (isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT):
        return "private"
    if not addr.is_global:
        return "reserved"
    return None


def classify_host(host: str) -> str | None:
    """`classify_address` for a host that may be a local name such as `localhost`."""
    name = host.strip().lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return "loopback"
    return classify_address(name)


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for (host, port), in its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_addresses(host: str, addresses: Collection[str], *, allow: Collection[str] = ()) -> list[str]:
    """`addresses` when every one is public or of an allowed kind; AddressRefused names the first that
    is not (one bad address refuses the host: a connection could land on any of them)."""
    if not addresses:
        raise AddressRefused(f"{host} resolves to no address", "unresolved")
    for address in addresses:
        kind = classify_address(address)
        if kind is not None and kind not in allow:
            shown = host if host == address else f"{host} ({address})"
            raise AddressRefused(f"{shown} is a {kind.replace('_', '-')} address", kind)
    return list(addresses)


def resolve_checked(host: str, port: int, *, allow: Collection[str] = (),
                    resolve: Resolver = system_resolve) -> list[str]:
    """Resolve `host` once and return the addresses to connect to, all checked; raises AddressRefused.

    `allow` lists the non-public kinds that are accepted (NON_PUBLIC for "anything")."""
    literal = parse_address(host)
    if literal is not None:
        return check_addresses(host, [str(literal)], allow=allow)
    local = classify_host(host)
    if local is not None and local not in allow:
        raise AddressRefused(f"{host} is a {local} name", local)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve ({exc})", "unresolved") from exc
    return check_addresses(host, addresses, allow=allow)
