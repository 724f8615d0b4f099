"""Resolve, check, then connect: the crawler's name resolver refuses non-public addresses before any
connection is made.

Scrapy connects through Twisted's `HostnameEndpoint`, which asks the reactor's name resolver for the
addresses and connects only to what the resolver returns. `CheckingResolver` (installed with the
`TWISTED_DNS_RESOLVER` setting) resolves through the original resolver, checks every address with
`policywatch.core.netpolicy`, and hands the endpoint either all of them or none: the address connected to is
always one that was checked, so a DNS answer that changes between a check and the connection (DNS
rebinding) cannot slip through. A refused host then fails with a DNS error, which
`ResolvedAddressMiddleware` reports as `refused (resolved_<kind>)`.

Which non-public kinds a host may resolve to comes from the sources (`AddressPolicy.for_sources`): a
source with `allow_private: true` (an intranet site, a test mirror) allows every kind for its
`allowed_domains`; the sources file's `allow_loopback` (tests only) allows loopback for all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

from crawlers.middlewares import RefusedRequest
from policywatch.core.netpolicy import NON_PUBLIC, classify_address

logger = logging.getLogger(__name__)

POLICY_SETTING = "POLICYWATCH_ADDRESS_POLICY"

# host -> kind of the last refused resolution of that host (read by ResolvedAddressMiddleware).
_refused: dict[str, str] = {}


@dataclass(frozen=True)
class AddressPolicy:
    """Non-public address kinds allowed for every host (`default`) and per allowed domain (`hosts`:
    the domain and its subdomains)."""

    default: frozenset[str] = frozenset()
    hosts: dict[str, frozenset[str]] = field(default_factory=dict)

    def allowed(self, host: str) -> frozenset[str]:
        name = host.lower().rstrip(".").strip("[]")
        kinds = set(self.default)
        for entry, extra in self.hosts.items():
            if name == entry or name.endswith("." + entry):
                kinds |= extra
        return frozenset(kinds)

    def refusal(self, host: str, addresses: Iterable[str]) -> str | None:
        """The kind of the first address `host` may not resolve to, or None when all may be used."""
        allowed = self.allowed(host)
        for address in addresses:
            kind = classify_address(address)
            if kind is not None and kind not in allowed:
                return kind
        return None

    def to_setting(self) -> dict[str, Any]:
        return {"default": sorted(self.default), "hosts": {h: sorted(k) for h, k in self.hosts.items()}}

    @classmethod
    def from_setting(cls, value: dict[str, Any] | None) -> AddressPolicy:
        value = value or {}
        return cls(frozenset(value.get("default", ())),
                   {h: frozenset(k) for h, k in (value.get("hosts") or {}).items()})

    @classmethod
    def for_sources(cls, sources: Sequence[Any], *, allow_loopback: bool = False) -> AddressPolicy:
        hosts: dict[str, frozenset[str]] = {}
        for source in sources:
            if getattr(source, "allow_private", False):
                for domain in source.allowed_domains:
                    hosts[domain.partition(":")[0]] = NON_PUBLIC
        return cls(frozenset({"loopback"}) if allow_loopback else frozenset(), hosts)


@provider(IResolutionReceiver)
class _CheckingReceiver:
    """Buffers the addresses of one resolution and forwards them only if all pass the policy."""

    def __init__(self, receiver: Any, host: str, policy: AddressPolicy) -> None:
        self.receiver = receiver
        self.host = host
        self.policy = policy
        self.addresses: list[Any] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 (Twisted interface)
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        self.addresses.append(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        kind = self.policy.refusal(self.host, [str(a.host) for a in self.addresses])
        key = self.host.lower().rstrip(".")
        if kind is None:
            _refused.pop(key, None)
            for address in self.addresses:
                self.receiver.addressResolved(address)
        else:
            _refused[key] = kind
            logger.warning("refused %s: it resolves to a %s address (%s)", self.host, kind,
                           ", ".join(str(a.host) for a in self.addresses))
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class CheckingResolver:
    """The reactor's name resolver, wrapped so that only checked addresses reach the endpoint."""

    def __init__(self, reactor: Any, policy: AddressPolicy) -> None:
        self.reactor = reactor
        self.policy = policy
        self.original = reactor.nameResolver

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> CheckingResolver:
        return cls(reactor, AddressPolicy.from_setting(crawler.settings.getdict(POLICY_SETTING)))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver: Any, hostName: str, portNumber: int = 0,  # noqa: N802
                        addressTypes: Any = None, transportSemantics: str = "TCP") -> Any:  # noqa: N803
        receiver = _CheckingReceiver(resolutionReceiver, hostName, self.policy)
        self.original.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)
        return resolutionReceiver


class ResolvedAddressMiddleware:
    """Turns the DNS failure of a refused host into `RefusedRequest('resolved_<kind>')` before the retry
    middleware sees it (a refused address is a policy outcome: no retries, counted as refused)."""

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        if isinstance(exception, (DNSLookupError, CannotResolveHostError)):  # Scrapy 2.13+ wraps the first
            host = (urlsplit(request.url).hostname or "").lower().rstrip(".")
            kind = _refused.get(host)
            if kind is not None:
                raise RefusedRequest(f"resolved_{kind}", request.url)
        return None
