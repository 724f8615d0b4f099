"""Address classification and the resolve-then-check rule (pure: resolvers are passed in, no DNS)."""

from __future__ import annotations

import pytest

from policywatch.core.netpolicy import (
    NON_PUBLIC,
    AddressRefused,
    classify_address,
    classify_host,
    resolve_checked,
)


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("100.64.0.1", "private"),
    ("169.254.169.254", "link_local"), ("fe80::1", "link_local"), ("[fe80::1%eth0]", "link_local"),
    ("fc00::1", "unique_local"), ("fd12:3456::1", "unique_local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("192.0.2.1", "private"),  # TEST-NET-1: Python counts it private
    # IPv4 hidden in IPv6 spellings
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:7f00:1", "loopback"), ("::ffff:169.254.169.254", "link_local"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:0.0.0.0", "unspecified"), ("64:ff9b::a9fe:a9fe", "link_local"),
    ("::10.0.0.1", "private"), ("[::ffff:192.168.0.1]", "private"),
])
def test_non_public_addresses_are_classified(address: str, kind: str) -> None:
    assert classify_address(address) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808"])
def test_public_addresses_pass(address: str) -> None:
    assert classify_address(address) is None


def test_host_names_and_local_names() -> None:
    assert classify_address("example.org") is None  # not an address: the resolver decides
    assert classify_host("LOCALHOST.") == "loopback"
    assert classify_host("api.localhost") == "loopback"


def _resolver(table: dict[str, list[str]]):
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve, calls


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting() -> None:
    resolve, calls = _resolver({"hook.example": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(AddressRefused) as info:
        resolve_checked("hook.example", 443, resolve=resolve)
    assert info.value.kind == "private" and "10.0.0.5" in str(info.value)
    assert calls == ["hook.example"]  # resolved once


def test_checked_addresses_are_returned_for_connecting() -> None:
    resolve, _ = _resolver({"hook.example": ["93.184.216.34", "2606:2800:220:1::248"]})
    assert resolve_checked("hook.example", 443, resolve=resolve) == ["93.184.216.34", "2606:2800:220:1::248"]


def test_literals_are_checked_without_resolving_and_allow_lets_them_through() -> None:
    resolve, calls = _resolver({})
    with pytest.raises(AddressRefused, match="link-local"):
        resolve_checked("169.254.169.254", 80, resolve=resolve)
    with pytest.raises(AddressRefused, match="loopback"):
        resolve_checked("localhost", 80, resolve=resolve)
    assert resolve_checked("127.0.0.1", 80, allow=NON_PUBLIC, resolve=resolve) == ["127.0.0.1"]
    assert resolve_checked("::ffff:127.0.0.1", 80, allow={"loopback"}, resolve=resolve) == ["::ffff:7f00:1"]
    assert calls == []


def test_an_unresolvable_name_is_refused_with_its_own_kind() -> None:
    resolve, _ = _resolver({})
    with pytest.raises(AddressRefused) as info:
        resolve_checked("nowhere.invalid", 80, resolve=resolve)
    assert info.value.kind == "unresolved"
