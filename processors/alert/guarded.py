"""An httpx transport that connects only to checked addresses.

The host of each new connection is resolved once, every address is checked (`policywatch.core.netpolicy`),
and the socket is opened to a checked address; TLS still verifies the certificate against the host name
(httpcore passes the URL's host as SNI). Environment proxies are not used: through a proxy the address
the request reaches could not be checked.
"""

from __future__ import annotations

import typing
from collections.abc import Collection

import httpcore
import httpx

from policywatch.core.netpolicy import AddressRefused, Resolver, resolve_checked, system_resolve


class CheckedBackend(httpcore.SyncBackend):
    """Resolves, checks, then connects to the first checked address that accepts."""

    def __init__(self, allow: Collection[str] = (), resolve: Resolver = system_resolve) -> None:
        self.allow = frozenset(allow)
        self.resolve = resolve

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        addresses = resolve_checked(host, port, allow=self.allow, resolve=self.resolve)
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # resolve_checked never returns an empty list
        raise last


def checked_transport(allow: Collection[str] = (), *, resolve: Resolver = system_resolve,
                      verify: bool = True) -> httpx.HTTPTransport:
    """An HTTPTransport whose connections go only to addresses that passed the check."""
    transport = httpx.HTTPTransport(verify=verify, trust_env=False)
    transport._pool = httpcore.ConnectionPool(  # noqa: SLF001 (httpx has no public backend option)
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        network_backend=CheckedBackend(allow, resolve),
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0,  # httpx's defaults
    )
    return transport


__all__ = ["AddressRefused", "CheckedBackend", "checked_transport"]
